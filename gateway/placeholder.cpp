// placeholder until the gateway core lands
namespace gg::gateway {}
