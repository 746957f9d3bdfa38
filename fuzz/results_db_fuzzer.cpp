// libFuzzer entry point for results databases: any bytes, written to a file and given to `formbench report`'s
// reader, analyses and renderers, must end in a report or an fb::Error; any other exception, crash, sanitizer
// report, leak or out-of-memory is a bug. SQLite only opens files, so each input goes through a temp file.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.h"
#include "report/report.h"

namespace fs = std::filesystem;

namespace {

// One folder per process: the input file, stub charting libraries (the report inlines them) and the output;
// removed when the fuzzer exits.
struct WorkDir {
  fs::path dir = fs::temp_directory_path() / ("formbench_results_db_fuzzer." + std::to_string(getpid()));
  WorkDir() {
    for (const char* lib : {"vega/build/vega.min.js", "vega-lite/build/vega-lite.min.js", "vega-embed/build/vega-embed.min.js"}) {
      fs::create_directories((dir / "assets" / lib).parent_path());
      std::ofstream(dir / "assets" / lib) << "/* stub */";
    }
  }
  ~WorkDir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const WorkDir work;
  const fs::path& dir = work.dir;
  const fs::path db = dir / "results.db";
  // A hot journal or WAL left by an earlier input would change how this one is read.
  for (const char* suffix : {"-journal", "-wal", "-shm"}) fs::remove(db.string() + suffix);
  std::ofstream(db, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  fb::report::ReportOptions opt;
  opt.out_dir = (dir / "out").string();
  opt.assets_dir = (dir / "assets").string();
  try {
    (void)fb::report::write_report(db.string(), opt);
  } catch (const fb::Error&) {
  }
  return 0;
}
