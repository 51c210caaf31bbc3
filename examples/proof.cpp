// Runs vfiokit's ownership proof on a device bound to vfio-pci and prints each step as
// it ends; exits 0 when no step failed or warned, 1 on a WARN, 2 on a FAIL.
//   proof 0000:01:00.0
#include <cstdio>
#include <vfiokit/proof/proof.hpp>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s BDF   (a device bound to vfio-pci)\n", argv[0]);
    return 64;
  }
  vfiokit::proof::ProofOptions options;  // no storage writes; no reset of a GPU
  options.on_step = [](const vfiokit::proof::StepResult& s) {
    static const char* const kVerdicts[] = {"PASS", "SKIP", "WARN", "FAIL"};
    std::printf("%s %-13s %s\n", kVerdicts[static_cast<int>(s.verdict)], s.id.c_str(),
                s.summary.c_str());
  };
  const auto result = vfiokit::proof::run_proof(argv[1], options);
  using vfiokit::check::Verdict;
  return result.worst() == Verdict::kFail ? 2 : result.worst() == Verdict::kWarn ? 1 : 0;
}
