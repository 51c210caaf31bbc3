// vfiokit's one error type: which operation failed, on what, the errno, and
// what to do about it where that is known.
#pragma once

#include <stdexcept>
#include <string>

namespace vfiokit {

/// Thrown by every vfiokit call that fails. what() reads
/// "<operation> on <object>: <strerror> (errno N)[; hint: <hint>]".
class Error : public std::runtime_error {
 public:
  /// `err` is an errno value (0 when the failure is not a system call's).
  Error(std::string operation, std::string object, int err, std::string hint = {});

  /// The failed operation, e.g. "VFIO_GROUP_GET_STATUS" or "mmap BAR0".
  const std::string& operation() const { return operation_; }
  /// The object it was applied to, e.g. "0000:00:02.0", "group 5", "IOVA [0x1000, 0x2fff]".
  const std::string& object() const { return object_; }
  /// errno of the failed call, 0 if none.
  int error_code() const { return errno_; }
  /// A sentence that says what to do, or empty.
  const std::string& hint() const { return hint_; }

 private:
  std::string operation_;
  std::string object_;
  int errno_;
  std::string hint_;
};

/// Throws Error(operation, object, err, hint) with a known hint for `err` when
/// `hint` is empty (see errno_hint).
[[noreturn]] void throw_error(const std::string& operation, const std::string& object, int err,
                              std::string hint = {});

/// The hint vfiokit knows for `err` returned by `operation`, or empty:
/// EPERM on attach (no interrupt remapping), ENOMEM on map (RLIMIT_MEMLOCK),
/// ENOSPC on map (dma_entry_limit), EEXIST on map (overlap), EBUSY on open.
std::string errno_hint(const std::string& operation, int err);

}  // namespace vfiokit
