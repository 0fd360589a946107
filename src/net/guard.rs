//! The private-address guard: which IP addresses a feed fetch may never
//! reach (SSRF protection). Pure: it classifies addresses and connects to
//! nothing; `net::fetch` enforces it at connect time.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is refused, or `None` when it may be contacted.
///
/// Embedded IPv4 forms (IPv4-mapped, IPv4-compatible, NAT64, 6to4) are
/// judged by the IPv4 address they carry: `::ffff:127.0.0.1` reaches the
/// loopback interface on a dual-stack host just like `127.0.0.1` does.
pub fn forbidden_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_reason(v4),
        IpAddr::V6(v6) => v6_reason(v6),
    }
}

/// True when the guard refuses `ip`.
pub fn is_forbidden(ip: IpAddr) -> bool {
    forbidden_reason(ip).is_some()
}

/// (network, prefix length, reason), checked in order.
const V4_RANGES: &[([u8; 4], u8, &str)] = &[
    ([0, 0, 0, 0], 8, "unspecified (\"this network\")"),
    ([10, 0, 0, 0], 8, "private"),
    ([100, 64, 0, 0], 10, "carrier-grade NAT"),
    ([127, 0, 0, 0], 8, "loopback"),
    ([169, 254, 0, 0], 16, "link-local"),
    ([172, 16, 0, 0], 12, "private"),
    ([192, 0, 0, 0], 24, "IETF protocol assignments"),
    ([192, 0, 2, 0], 24, "documentation"),
    ([192, 168, 0, 0], 16, "private"),
    ([198, 18, 0, 0], 15, "benchmarking"),
    ([198, 51, 100, 0], 24, "documentation"),
    ([203, 0, 113, 0], 24, "documentation"),
    ([224, 0, 0, 0], 4, "multicast"),
    // 240/4 also holds the limited broadcast address 255.255.255.255.
    ([240, 0, 0, 0], 4, "reserved or broadcast"),
];

fn v4_reason(ip: Ipv4Addr) -> Option<&'static str> {
    let bits = u32::from(ip);
    V4_RANGES.iter().find_map(|&(net, len, reason)| {
        let mask = u32::MAX << (32 - u32::from(len));
        (bits & mask == u32::from(Ipv4Addr::from(net))).then_some(reason)
    })
}

/// IPv6 ranges refused outright, whatever follows the prefix.
const V6_RANGES: &[(u128, u8, &str)] = &[
    (
        0x0100_0000_0000_0000_0000_0000_0000_0000,
        64,
        "discard-only",
    ),
    // Local-use NAT64 (RFC 8215) only ever leads into the operator's network.
    (
        0x0064_ff9b_0001_0000_0000_0000_0000_0000,
        48,
        "local-use NAT64",
    ),
    // Teredo tunnels carry an obfuscated IPv4 server and client; nothing
    // public needs a feed served over one, so refuse rather than decode.
    (0x2001_0000_0000_0000_0000_0000_0000_0000, 32, "Teredo"),
    (
        0x2001_0db8_0000_0000_0000_0000_0000_0000,
        32,
        "documentation",
    ),
    (
        0x3fff_0000_0000_0000_0000_0000_0000_0000,
        20,
        "documentation",
    ),
    (0xfc00_0000_0000_0000_0000_0000_0000_0000, 7, "unique local"),
    (0xfe80_0000_0000_0000_0000_0000_0000_0000, 10, "link-local"),
    (0xfec0_0000_0000_0000_0000_0000_0000_0000, 10, "site-local"),
    (0xff00_0000_0000_0000_0000_0000_0000_0000, 8, "multicast"),
];

fn v6_reason(ip: Ipv6Addr) -> Option<&'static str> {
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_loopback() {
        return Some("loopback");
    }
    if let Some(inner) = embedded_v4(ip) {
        return v4_reason(inner);
    }
    let bits = u128::from(ip);
    V6_RANGES.iter().find_map(|&(net, len, reason)| {
        let mask = u128::MAX << (128 - u32::from(len));
        (bits & mask == net).then_some(reason)
    })
}

/// The IPv4 address an IPv6 address stands for, when it is one of the
/// forms that translate or tunnel to IPv4.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let bits = u128::from(ip);
    let low32 = Ipv4Addr::from((bits & 0xffff_ffff) as u32);
    let prefix96 = bits >> 32;
    match prefix96 {
        // ::ffff:0:0/96, IPv4-mapped.
        0xffff => Some(low32),
        // ::/96, IPv4-compatible (deprecated, still routed by some stacks).
        0 => Some(low32),
        // 64:ff9b::/96, the well-known NAT64 prefix (RFC 6052).
        0x0064_ff9b_0000_0000_0000_0000 => Some(low32),
        // 2002::/16, 6to4: the IPv4 address sits in bits 16..48.
        _ if bits >> 112 == 0x2002 => Some(Ipv4Addr::from(((bits >> 80) & 0xffff_ffff) as u32)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(s: &str) -> bool {
        is_forbidden(s.parse().expect("test address parses"))
    }

    #[test]
    fn every_refused_ipv4_range_is_refused_at_both_ends() {
        let ranges = [
            ("0.0.0.0", "0.255.255.255"),
            ("10.0.0.0", "10.255.255.255"),
            ("100.64.0.0", "100.127.255.255"),
            ("127.0.0.0", "127.255.255.255"),
            ("169.254.0.0", "169.254.255.255"),
            ("172.16.0.0", "172.31.255.255"),
            ("192.0.0.0", "192.0.0.255"),
            ("192.0.2.0", "192.0.2.255"),
            ("192.168.0.0", "192.168.255.255"),
            ("198.18.0.0", "198.19.255.255"),
            ("198.51.100.0", "198.51.100.255"),
            ("203.0.113.0", "203.0.113.255"),
            ("224.0.0.0", "239.255.255.255"),
            ("240.0.0.0", "255.255.255.255"),
        ];
        for (first, last) in ranges {
            assert!(refused(first), "{first} should be refused");
            assert!(refused(last), "{last} should be refused");
        }
    }

    #[test]
    fn public_ipv4_neighbours_of_refused_ranges_are_allowed() {
        for ip in [
            "1.1.1.1",
            "9.255.255.255",
            "11.0.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "126.255.255.255",
            "128.0.0.0",
            "169.253.255.255",
            "172.15.255.255",
            "172.32.0.0",
            "192.0.1.0",
            "192.0.3.0",
            "192.167.255.255",
            "192.169.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "198.51.99.255",
            "203.0.112.255",
            "223.255.255.255",
        ] {
            assert!(!refused(ip), "{ip} should be allowed");
        }
    }

    #[test]
    fn the_broadcast_address_is_refused_as_reserved_or_broadcast() {
        let reason = forbidden_reason(IpAddr::V4(Ipv4Addr::BROADCAST));
        assert_eq!(reason, Some("reserved or broadcast"));
    }

    #[test]
    fn every_refused_ipv6_range_is_refused() {
        for ip in [
            "::",
            "::1",
            "fc00::1",
            "fdff:ffff::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "feff::1",
            "ff02::1",
            "ff0e::1",
            "2001:db8::1",
            "2001:db8:ffff::1",
            "3fff::1",
            "100::1",
            "100::ffff:ffff:ffff:ffff",
            "2001::1",
            "2001:0:ffff::1",
            "64:ff9b:1::1",
        ] {
            assert!(refused(ip), "{ip} should be refused");
        }
    }

    #[test]
    fn public_ipv6_addresses_are_allowed() {
        for ip in [
            "2606:4700:4700::1111",
            "2a00:1450:4001::1",
            "100:0:0:1::1",
            "2001:db9::1",
            "fbff::1",
            "64:ff9b:2::1",
        ] {
            assert!(!refused(ip), "{ip} should be allowed");
        }
    }

    #[test]
    fn ipv4_mapped_addresses_are_judged_by_their_ipv4_address() {
        assert!(refused("::ffff:127.0.0.1"));
        assert!(refused("::ffff:10.1.2.3"));
        assert!(refused("::ffff:169.254.169.254"));
        assert!(!refused("::ffff:8.8.8.8"));
        assert_eq!(
            forbidden_reason("::ffff:192.168.1.1".parse().expect("parses")),
            Some("private")
        );
    }

    #[test]
    fn ipv4_compatible_addresses_are_judged_by_their_ipv4_address() {
        assert!(refused("::127.0.0.1"));
        assert!(refused("::172.16.0.1"));
        assert!(!refused("::8.8.4.4"));
    }

    #[test]
    fn nat64_addresses_are_judged_by_their_ipv4_address() {
        assert!(refused("64:ff9b::127.0.0.1"));
        assert!(refused("64:ff9b::100.64.0.1"));
        assert!(!refused("64:ff9b::8.8.8.8"));
    }

    #[test]
    fn sixtofour_addresses_are_judged_by_the_ipv4_address_in_bits_16_to_48() {
        // 2002:7f00:0001::/48 carries 127.0.0.1; 2002:0a00:0001:: carries 10.0.0.1.
        assert!(refused("2002:7f00:1::1"));
        assert!(refused("2002:a00:1::"));
        assert!(refused("2002:c0a8:101::42"));
        // 2002:0808:0808:: carries 8.8.8.8.
        assert!(!refused("2002:808:808::1"));
    }
}
