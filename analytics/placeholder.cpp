// placeholder until the analytics layer lands
namespace gg::analytics {}
