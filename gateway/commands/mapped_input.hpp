// An input file of analyze mapped read-only into memory, with zeroed padding after its last byte (a whole Bundle
// is walked where it lies, fhir::kJsonPadding), instead of being read into a string. Standard input (and anything
// that is not a regular file) is first copied to an unlinked temporary file and mapped from there. Pages already
// read are handed back (release) so a scan of gigabytes keeps a small resident set: they stay in the page cache
// and are read again from there if needed.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace gg::gateway {

// A new temporary file for this process only (mode 0600, in TMPDIR, else /tmp), already unlinked so that nothing
// is left behind however the process ends: its descriptor, or -1 with `error` set. `purpose` goes into the name
// ("input": gradient-gateway-input-XXXXXX) for whoever lists the directory meanwhile.
int unlinked_temporary_file(std::string_view purpose, std::string& error);

class MappedInput {
 public:
  // Maps `source` ("-" for standard input). On failure text() is empty and error() says why.
  explicit MappedInput(const std::string& source);
  ~MappedInput();
  MappedInput(const MappedInput&) = delete;
  MappedInput& operator=(const MappedInput&) = delete;
  MappedInput(MappedInput&& other) noexcept;
  MappedInput& operator=(MappedInput&&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  // The file's bytes, followed by at least fhir::kJsonPadding readable zero bytes.
  std::string_view text() const { return {data_, size_}; }

  // Drops the pages of [from, to) from this process's resident set (madvise MADV_DONTNEED); they are read again
  // from the page cache when touched. Safe at any time: the mapping is private and never written.
  void release(std::size_t from, std::size_t to) const;
  void release_all() const { release(0, size_); }

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t mapped_ = 0;  // bytes of the whole reservation (file and padding)
  std::string error_;
};

}  // namespace gg::gateway
