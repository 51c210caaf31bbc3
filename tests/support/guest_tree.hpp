// The guest check's fixture trees: the machines vfiokit-guest-check judges in its unit
// tests (--root), built by the one builder (fixture_tree.hpp) at test time.
//   gpu-ok        H100 PCIe (10de:2331) on nvidia, Gen5 x16 trained at Gen5 x16, MSI-X on
//   gpu-degraded  the same GPU trained at Gen3 x8, 12 correctable AER errors
//   qemu          QEMU devices as the test bed shows them: nvme on nvme (integrated
//                 endpoint, no link), e1000e unbound behind a root port, a device whose
//                 BAR could not be assigned
//   user          a GPU read without root: 64 bytes of config space, link from sysfs
// The canned program outputs the same tests read (CUDA sample JSON, nvidia-smi) are data,
// committed under tests/fixtures/guest/.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "tests/support/fixture_tree.hpp"

namespace vfiokit::fixtures {

enum class GuestTree { kGpuOk, kGpuDegraded, kQemu, kUser };

/// Fills `tree` with the guest tree `which`.
void build_guest_tree(FixtureTree& tree, GuestTree which);
/// The tree called `name` ("gpu-ok", "gpu-degraded", "qemu", "user"), or nullopt.
std::optional<GuestTree> guest_tree_named(std::string_view name);
/// The root of tree `which`, built on first use into a temporary directory this process
/// removes at exit.
std::string guest_tree_root(GuestTree which);
/// The same by name; throws std::invalid_argument for a name that is no tree.
std::string guest_tree_root(std::string_view name);

}  // namespace vfiokit::fixtures
