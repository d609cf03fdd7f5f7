package io.fedbase.coordinator.transport;

import io.fedbase.wire.WireText;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/** A peer's address as logged: {@code 192.0.2.7:51234}, {@code [2001:db8::7]:51234}, or {@code unknown}. */
final class PeerAddress {

  private PeerAddress() {}

  static String of(SocketAddress address) {
    if (address instanceof InetSocketAddress inet && inet.getAddress() != null) {
      String host = inet.getAddress().getHostAddress();
      return (inet.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + inet.getPort();
    }
    // an in-process address, or none: its name, made safe to log
    return address == null ? "unknown" : WireText.field(address.toString());
  }
}
