// The charting libraries, read at report time so index.html can inline them and open without network.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "report/report.h"

namespace fb::report {
namespace fs = std::filesystem;

// Precedence: an explicit folder, then $FORMBENCH_ASSETS_DIR, then the source tree's node_modules
// (FORMBENCH_ASSETS_DIR, set by src/report/CMakeLists.txt).
Assets load_assets(const std::string& dir) {
  std::string base = dir;
  if (base.empty())
    if (const char* env = std::getenv("FORMBENCH_ASSETS_DIR"); env && *env) base = env;
#ifdef FORMBENCH_ASSETS_DIR
  if (base.empty()) base = FORMBENCH_ASSETS_DIR;
#endif
  auto read = [&](const char* rel) {
    const fs::path p = fs::path(base) / rel;
    if (!fs::is_regular_file(p))
      fail("report needs {} (install the npm packages vega, vega-lite and vega-embed: `npm ci` in the source tree, "
           "or point FORMBENCH_ASSETS_DIR at a node_modules folder that has them)",
           p.string());
    std::ifstream f(p, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  };
  return {read("vega/build/vega.min.js"), read("vega-lite/build/vega-lite.min.js"),
          read("vega-embed/build/vega-embed.min.js")};
}

}  // namespace fb::report
