// vfiokit-fixture-tree NAME DIR: writes the guest fixture tree NAME (guest_tree.hpp) into
// DIR, for the tests that need one on disk before they start (a shell test, a person
// looking at it). Test-only; never installed.
#include <cstdio>
#include <exception>
#include <filesystem>

#include "tests/support/guest_tree.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr,
                 "usage: vfiokit-fixture-tree NAME DIR (NAME: gpu-ok, gpu-degraded, qemu, user)\n");
    return 64;
  }
  const auto which = vfiokit::fixtures::guest_tree_named(argv[1]);
  if (!which) {
    std::fprintf(stderr,
                 "vfiokit-fixture-tree: no tree called '%s'; use gpu-ok, gpu-degraded, qemu or "
                 "user\n",
                 argv[1]);
    return 64;
  }
  try {
    if (std::filesystem::exists(argv[2]) && !std::filesystem::is_empty(argv[2])) {
      std::fprintf(stderr, "vfiokit-fixture-tree: %s is not empty; give a new or empty directory\n",
                   argv[2]);
      return 64;
    }
    vfiokit::fixtures::FixtureTree tree{std::filesystem::path(argv[2])};
    vfiokit::fixtures::build_guest_tree(tree, *which);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vfiokit-fixture-tree: writing %s: %s\n", argv[2], e.what());
    return 3;
  }
  return 0;
}
