// HostFs::write, the one path of every sysfs write: all of the text arrives even
// when write(2) is cut short by a signal.
#include "tools/host/host_fs.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "tests/support/fixture_tree.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit::host {
namespace {

void on_signal(int) {}

TEST(HostFs, WriteFinishesAcrossShortWritesAndEintr) {
  fixtures::FixtureTree h;
  const auto fifo = h.root() / "attr";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // No SA_RESTART: a signal cuts a blocked write(2) short (or fails it with EINTR).
  struct sigaction sa {};
  struct sigaction old {};
  sa.sa_handler = on_signal;
  ASSERT_EQ(::sigaction(SIGUSR1, &sa, &old), 0);
  const std::string text(1 << 20, 'x');  // 16 pipe buffers: the write blocks many times
  const pthread_t writer = ::pthread_self();
  std::string got;
  std::thread reader([&] {
    const int fd = ::open(fifo.c_str(), O_RDONLY | O_CLOEXEC);
    char buf[4096];
    for (;;) {
      ::pthread_kill(writer, SIGUSR1);
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
  });
  try {
    HostFs(h.root()).write("attr", text);
  } catch (const Error& e) {
    ADD_FAILURE() << e.what();
  }
  reader.join();
  ::sigaction(SIGUSR1, &old, nullptr);
  EXPECT_EQ(got.size(), text.size());
}

TEST(HostFs, WriteOfAMissingAttributeNamesTheTextAndFile) {
  fixtures::FixtureTree h;
  try {
    HostFs(h.root()).write("sys/bus/pci/drivers_probe", "0000:01:00.0\n");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.error_code(), ENOENT);
    EXPECT_NE(std::string(e.what()).find("drivers_probe"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace vfiokit::host
