#pragma once
// TCP workloads between the guest agent (client) and a peer on the host side
// (the same binary, `serve`): a bulk stream each way and 64-byte request/response
// round trips. Every stream chunk and message carries the pattern.hpp stamp and is
// verified by the side that receives it.
#include <cstdint>
#include <functional>
#include <string>

#include "measurement.hpp"

namespace vfiokit::passthrough {

/// Client side: where the peer listens and how much to move.
struct NetConfig {
  std::string peer_ip;  ///< IPv4 address of the peer
  std::uint16_t peer_port = 5201;
  std::uint64_t stream_mib = 16;  ///< bytes of each bulk stream
  double rr_seconds = 3;          ///< time budget of the round trips
  std::uint64_t rr_max_ops = 100000;
  std::uint64_t seed = 1;
};

/// Runs tcp_stream_tx (guest to peer), tcp_stream_rx (peer to guest) and tcp_rr_64,
/// each on its own connection, and hands each Measurement to `report`. Throws
/// std::runtime_error naming the peer when a connection or transfer fails.
void run_net_workloads(const NetConfig& config,
                       const std::function<void(const Measurement&)>& report);

/// Peer side: serves one connection whose bytes arrive on `in_fd` and leave on
/// `out_fd` (both the socket, or stdin/stdout under QEMU's guestfwd=...-cmd:).
/// Returns false (after telling the client) when the data check failed.
bool serve_connection(int in_fd, int out_fd);

/// Peer side: listens on `address`:`port` (port 0 picks one, printed on stdout as
/// "listening on ADDR:PORT") and serves connections one after another, forever.
[[noreturn]] void serve_forever(const std::string& address, std::uint16_t port);

}  // namespace vfiokit::passthrough
