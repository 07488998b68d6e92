// Replays saved fuzz inputs through the fuzz target without libFuzzer, so
// that every ctest run (default and sanitizer builds) re-checks the corpus
// and every input that once crashed. Arguments: directories (read
// recursively) or files. Fails when it finds no input at all, so that a
// moved corpus cannot pass unnoticed.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace fs = std::filesystem;

int main(int argc, char *argv[])
{
    std::vector<fs::path> inputs;
    for (int i = 1; i < argc; ++i) {
        const fs::path arg(argv[i]);
        std::error_code ec;
        if (fs::is_directory(arg, ec)) {
            for (const auto &e : fs::recursive_directory_iterator(arg)) {
                if (e.is_regular_file() && e.path().filename().string().front() != '.')
                    inputs.push_back(e.path());
            }
        } else if (fs::is_regular_file(arg, ec)) {
            inputs.push_back(arg);
        } else {
            std::fprintf(stderr, "fuzz_replay: %s: no such file or directory\n", argv[i]);
            return 1;
        }
    }
    if (inputs.empty()) {
        std::fprintf(stderr, "fuzz_replay: no inputs found\n");
        return 1;
    }
    // A stable order, so that a failure names the same input every time.
    std::sort(inputs.begin(), inputs.end());
    for (const auto &p : inputs) {
        std::ifstream in(p, std::ios::binary);
        if (!in) {
            std::fprintf(stderr, "fuzz_replay: %s: cannot read\n", p.c_str());
            return 1;
        }
        const std::vector<uint8_t> bytes {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
        // Printed before the run: if an input crashes, this is the last line.
        std::fprintf(stderr, "%s\n", p.c_str());
        LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
    }
    std::printf("fuzz_replay: %zu inputs replayed without a finding\n", inputs.size());
    return 0;
}
