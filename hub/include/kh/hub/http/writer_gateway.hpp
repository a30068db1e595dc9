#pragma once
// HTTP handlers run on the HTTP thread, never on the order writer's. Reads that need no writer
// (health, metrics, pages served from a reader connection) answer there at once; anything that
// must run on the writer (a write, or a read of the writer's connection) goes through a
// `writer_gateway`: the work is posted to the writer's io_context and the handler waits for its
// result, up to a deadline, so a busy writer delays only the requests that need it.

#include <chrono>
#include <exception>
#include <future>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace kh::hub {

class writer_gateway {
 public:
  explicit writer_gateway(boost::asio::io_context& writer) : writer_(writer) {}

  /// Runs `fn()` on the writer thread and returns its result, or nullopt when it did not finish
  /// within `timeout` (the writer is busy or stopping; the work may still run later, so make it
  /// safe to run late). An exception thrown by `fn` is rethrown here. Never call it from the
  /// writer thread itself (it would wait for itself until the timeout).
  template <class Fn>
  auto call(Fn fn, std::chrono::milliseconds timeout = std::chrono::milliseconds(2000))
      -> std::optional<std::invoke_result_t<Fn&>> {
    using R = std::invoke_result_t<Fn&>;
    auto done = std::make_shared<std::promise<R>>();
    auto result = done->get_future();
    boost::asio::post(writer_, [fn = std::move(fn), done]() mutable {
      try {
        if constexpr (std::is_void_v<R>) {
          fn();
          done->set_value();
        } else {
          done->set_value(fn());
        }
      } catch (...) {
        done->set_exception(std::current_exception());
      }
    });
    if (result.wait_for(timeout) != std::future_status::ready) return std::nullopt;
    if constexpr (std::is_void_v<R>) {
      result.get();
      return std::optional<R>(std::in_place);
    } else {
      return result.get();
    }
  }

 private:
  boost::asio::io_context& writer_;
};

}  // namespace kh::hub
