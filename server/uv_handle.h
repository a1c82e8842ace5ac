// UvHandle<T>: owns one libuv handle (timer, signal, prepare, tcp listener ...).
//
// libuv's rule is that a handle's memory may be released only in its close callback, which runs
// on a later loop iteration. So the handle lives on the heap, Close() starts uv_close (safe to
// call twice, and on a handle that was never initialised), and the close callback frees it.
// The destructor closes too, so a UvHandle going out of scope can never leak or dangle; the loop
// must still run once more for the close callback to fire.
//
// handle->data is left to the owner: set it through get() to what its callbacks need.
#pragma once

#include <uv.h>

#include <utility>

namespace runnel::server {

template <typename T>
class UvHandle {
 public:
  UvHandle() : handle_(new T{}) {}
  UvHandle(const UvHandle&) = delete;
  UvHandle& operator=(const UvHandle&) = delete;
  UvHandle(UvHandle&& o) noexcept
      : handle_(std::exchange(o.handle_, nullptr)), initialised_(o.initialised_) {}
  // Closes the handle held, then takes `o`'s (a connection made again: MasterLink).
  UvHandle& operator=(UvHandle&& o) noexcept {
    if (this != &o) {
      Close();
      handle_ = std::exchange(o.handle_, nullptr);
      initialised_ = o.initialised_;
    }
    return *this;
  }
  ~UvHandle() { Close(); }

  T* get() { return handle_; }
  uv_handle_t* base() { return reinterpret_cast<uv_handle_t*>(handle_); }
  // Call after a successful uv_*_init so Close() knows to go through uv_close.
  void MarkInitialised() { initialised_ = true; }
  bool initialised() const { return initialised_; }

  void Close() {
    if (handle_ == nullptr) return;
    T* h = std::exchange(handle_, nullptr);
    if (!initialised_) {
      delete h;
      return;
    }
    uv_handle_t* b = reinterpret_cast<uv_handle_t*>(h);
    if (uv_is_closing(b)) return;  // someone else closed it; their callback frees it
    uv_close(b, [](uv_handle_t* closed) { delete reinterpret_cast<T*>(closed); });
  }

 private:
  T* handle_;
  bool initialised_ = false;
};

}  // namespace runnel::server
