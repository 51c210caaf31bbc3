// vfiokit soak and a device that stopped answering (issue #25): how it is told from the
// device's sysfs config, and the hint on its journal entry in each state it can be in.
#include "tools/vfiokit/soak_lost.hpp"

#include <gtest/gtest.h>

#include "tests/support/fixture_tree.hpp"

namespace vfiokit::cli {
namespace {

using fixtures::FixtureTree;
constexpr const char* kNvme = "0000:02:00.0";  // build_host's NVMe, on nvme

struct LostHost {
  FixtureTree h;
  host::Journal journal{h.root() / "state"};
  LostHost() {
    fixtures::build_host(h);
    journal.save({{kNvme, "nvme", std::nullopt, "t0"}});
  }
  host::HostFs fs() const { return host::HostFs(h.root()); }
  void gone() { h.bytes(h.device_path(kNvme) + "/config", std::vector<uint8_t>(256, 0xff)); }
};

TEST(SoakLost, SummaryNamesTheCycleTheMethodAndWhatWasRead) {
  EXPECT_EQ(lost_summary("flr", 4, "config space reads 0xffff"),
            "device stopped answering at cycle 4 of flr: config space reads 0xffff; it was "
            "removed or its link is down");
}

TEST(SoakLost, AllOnesConfigOrNoSysfsDirectoryIsNotAnswering) {
  LostHost l;
  EXPECT_EQ(not_answering_now(l.fs(), kNvme), "");
  l.gone();
  EXPECT_EQ(not_answering_now(l.fs(), kNvme), "config space reads 0xffff");
  EXPECT_EQ(not_answering_now(l.fs(), "0000:07:00.0"), "it is no longer in sysfs");
}

TEST(SoakLost, StillGoneKeepsTheEntryAndSaysRestoreReturnsItOnceBack) {
  LostHost l;
  l.gone();
  const std::string hint = lost_device_hint(l.fs(), l.journal, kNvme);
  EXPECT_NE(hint.find("it is still gone (config space reads 0xffff): the journal keeps its "
                      "entry (original driver nvme); once it is back"),
            std::string::npos)
      << hint;
  EXPECT_NE(hint.find("'vfiokit restore' returns it to nvme"), std::string::npos) << hint;
  EXPECT_EQ(l.journal.load().size(), 1u);  // soak itself writes no journal
}

TEST(SoakLost, BackOnItsOriginalDriverRestoreDropsTheEntry) {
  LostHost l;  // re-enumerated: the kernel bound nvme by its IDs
  EXPECT_EQ(lost_device_hint(l.fs(), l.journal, kNvme),
            "it is back on nvme, its original driver: 'vfiokit restore' drops its journal entry");
}

TEST(SoakLost, AnsweringAgainOnVfioPciRestoreReturnsIt) {
  LostHost l;
  l.h.remove(l.h.device_path(kNvme) + "/driver");
  l.h.link(l.h.device_path(kNvme) + "/driver", "sys/bus/pci/drivers/vfio-pci");
  EXPECT_EQ(lost_device_hint(l.fs(), l.journal, kNvme),
            "it answers again, on vfio-pci: 'vfiokit restore' returns it to nvme, its original "
            "driver");
}

TEST(SoakLost, NotJournaledNothingToRestore) {
  LostHost l;
  l.journal.save({});
  l.gone();
  EXPECT_EQ(lost_device_hint(l.fs(), l.journal, kNvme),
            "it is still gone (config space reads 0xffff); the journal records no host driver "
            "for it, so there is nothing to restore");
}

}  // namespace
}  // namespace vfiokit::cli
