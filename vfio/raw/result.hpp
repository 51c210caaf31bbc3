// What a raw call returns: the value the kernel answered, or the errno it failed with.
// The raw layer (vfio/raw/) only issues ioctls and fills structs; the owning types turn
// an errno into a vfiokit::Error with the operation, the object and a hint.
#pragma once

#include <utility>

namespace vfiokit::raw {

/// Success (err 0) or the errno of the failed call.
struct Status {
  int err = 0;
  explicit operator bool() const { return err == 0; }
};

/// A value, or (err != 0) the errno of the failed call; `value` is then value-initialized.
template <class T>
struct Result {
  T value{};
  int err = 0;
  explicit operator bool() const { return err == 0; }
};

template <class T>
Result<T> ok(T v) {
  return Result<T>{std::move(v), 0};
}

}  // namespace vfiokit::raw
