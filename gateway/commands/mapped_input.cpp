#include "gateway/commands/mapped_input.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <vector>

#include "fhir/json_scan.hpp"

namespace gg::gateway {
namespace {

std::string system_error(const std::string& what) {
  return what + ": " + std::system_category().message(errno);
}

// Copies a stream that cannot be mapped (a pipe, a terminal) to an unlinked temporary file and returns its
// descriptor, or -1 with `error` set.
int spool(int in, std::string& error) {
  const int out = unlinked_temporary_file("input", error);
  if (out < 0) return -1;
  std::vector<char> block(std::size_t{1} << 20);
  for (;;) {
    const ssize_t got = ::read(in, block.data(), block.size());
    if (got == 0) break;
    if (got < 0) {
      if (errno == EINTR) continue;
      error = system_error("cannot read standard input");
      ::close(out);
      return -1;
    }
    for (ssize_t written = 0; written < got;) {
      const ssize_t put = ::write(out, block.data() + written, static_cast<std::size_t>(got - written));
      if (put < 0) {
        if (errno == EINTR) continue;
        error = system_error("cannot write the temporary copy of standard input");
        ::close(out);
        return -1;
      }
      written += put;
    }
  }
  return out;
}

std::size_t page_size() {
  static const auto size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return size;
}

}  // namespace

int unlinked_temporary_file(std::string_view purpose, std::string& error) {
  // TMPDIR (or TMP, TEMP, TEMPDIR), else /tmp. One that is set and is not a directory is an error, not a reason to
  // write elsewhere: whoever set it wanted the space it names.
  std::error_code failed;
  const std::filesystem::path directory = std::filesystem::temp_directory_path(failed);
  if (failed) {
    const char* tmpdir = std::getenv("TMPDIR");  // NOLINT(concurrency-mt-unsafe): nothing here sets it
    error = "cannot create a temporary file: the temporary directory " +
            (tmpdir != nullptr ? "TMPDIR=" + std::string(tmpdir)
                               : std::string("/tmp (or what TMP, TEMP or TEMPDIR name)")) +
            " is not a directory";
    return -1;
  }
  std::string pattern = (directory / ("gradient-gateway-" + std::string(purpose) + "-XXXXXX")).string();
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  const int fd = ::mkstemp(name.data());  // created 0600
  if (fd < 0) {
    error = system_error("cannot create a temporary file in " + directory.string());
    return -1;
  }
  ::unlink(name.data());  // gone with the descriptor, whatever happens
  return fd;
}

MappedInput::MappedInput(const std::string& source) {
  int fd = -1;
  if (source == "-") {
    fd = spool(STDIN_FILENO, error_);
    if (fd < 0) return;
  } else {
    fd = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      error_ = "cannot read input " + source;
      return;
    }
    struct stat info {};
    if (::fstat(fd, &info) == 0 && !S_ISREG(info.st_mode)) {
      const int copy = spool(fd, error_);
      ::close(fd);
      if (copy < 0) return;
      fd = copy;
    }
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    error_ = system_error("cannot read input " + source);
    ::close(fd);
    return;
  }
  size_ = static_cast<std::size_t>(info.st_size);
  // The file is mapped over an anonymous reservation one padding longer (rounded to pages): the bytes after the
  // file are zero pages of that reservation, so the padding exists even when the file ends on a page boundary
  // (a file mapping ends there; touching past it would fault).
  const std::size_t page = page_size();
  mapped_ = (size_ + fhir::kJsonPadding + page - 1) / page * page;
  void* reserved = ::mmap(nullptr, mapped_, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (reserved == MAP_FAILED) {
    error_ = system_error("cannot map input " + source);
    mapped_ = 0;
    size_ = 0;
    ::close(fd);
    return;
  }
  if (size_ > 0) {
    void* file = ::mmap(reserved, size_, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0);
    if (file == MAP_FAILED) {
      error_ = system_error("cannot map input " + source);
      ::munmap(reserved, mapped_);
      mapped_ = 0;
      size_ = 0;
      ::close(fd);
      return;
    }
    ::madvise(file, size_, MADV_SEQUENTIAL);
  }
  ::close(fd);  // the mapping keeps the file
  data_ = static_cast<const char*>(reserved);
}

MappedInput::~MappedInput() {
  if (mapped_ > 0) ::munmap(const_cast<char*>(data_), mapped_);
}

MappedInput::MappedInput(MappedInput&& other) noexcept
    : data_(other.data_), size_(other.size_), mapped_(other.mapped_), error_(std::move(other.error_)) {
  other.data_ = nullptr;
  other.size_ = 0;
  other.mapped_ = 0;
}

void MappedInput::release(std::size_t from, std::size_t to) const {
  const std::size_t page = page_size();
  // From the start of the 2 MiB block `from` lies in, not its page: touching the page being read maps its
  // neighbours too (the kernel's fault-around, at most the rest of the 2 MiB one page table covers), and those
  // before it were never released again. Releasing every 8 MB left a few pages behind each time, so the resident
  // set grew with the input: 30 MB of a 2.5 GB feed's pages where 8 MB were being read (docs/performance.md).
  constexpr std::size_t kFaultAroundSpan = std::size_t{2} << 20;
  from = from / kFaultAroundSpan * kFaultAroundSpan;
  // Whole pages to the end: one still in use is simply read again when touched.
  to = std::min((to + page - 1) / page * page, mapped_);
  if (data_ == nullptr || from >= to) return;
  ::madvise(const_cast<char*>(data_) + from, to - from, MADV_DONTNEED);
}

}  // namespace gg::gateway
