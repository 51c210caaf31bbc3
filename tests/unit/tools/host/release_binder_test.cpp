// Binder as vfiokit_host has it, in every build (tools/host/CMakeLists.txt):
// VFIOKIT_TEST_PAUSE_AT, the VM kill tests' "stop after step N", must do nothing there.
#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/support/fixture_tree.hpp"
#include "tools/host/binder.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit::host {
namespace {

TEST(ReleaseBinder, PauseHookIsNotCompiledIn) {
  EXPECT_FALSE(Binder::test_hooks_compiled());
  fixtures::FixtureTree h;
  fixtures::build_host(h);
  ::setenv("VFIOKIT_TEST_PAUSE_AT", "1", 1);
  Binder b(HostFs(h.root()), Journal(h.root() / "state"));
  ::unsetenv("VFIOKIT_TEST_PAUSE_AT");
  // With the hook, bind would stop for good after step 1 (journal written); without
  // it, it goes on and fails as every bind on a fixture tree does (no kernel).
  EXPECT_THROW(b.bind("0000:02:00.0", {}), Error);
}

}  // namespace
}  // namespace vfiokit::host
