//! ip-restriction: clients allowed or denied by address, single IPs or CIDR ranges (Kong's
//! `ip-restriction`, priority 990, access phase).

use std::net::IpAddr;

use serde_json::Value;

use super::{Context, Parse, Plugin, Refusal};

/// An address range: its first address's bits and how many leading bits must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Range {
    network: IpAddr,
    prefix: u8,
}

impl Range {
    /// `10.0.0.1`, `10.0.0.0/8`, `::1`, `2001:db8::/32`.
    fn parse(text: &str) -> Result<Range, String> {
        let bad = || format!("'{text}' is not an IP address or CIDR range");
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().map_err(|_| bad())?)),
            None => (text, None),
        };
        let network: IpAddr = addr.trim().parse().map_err(|_| bad())?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        if prefix > max {
            return Err(bad());
        }
        Ok(Range { network, prefix })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        let ip = match (self.network, ip) {
            // A v4 client seen through a v6 socket is still that v4 client.
            (IpAddr::V4(_), IpAddr::V6(v6)) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            _ => ip,
        };
        let (net, ip, width) = match (self.network, ip) {
            (IpAddr::V4(n), IpAddr::V4(i)) => (u32::from(n) as u128, u32::from(i) as u128, 32),
            (IpAddr::V6(n), IpAddr::V6(i)) => (u128::from(n), u128::from(i), 128),
            _ => return false,
        };
        let shift = width - u32::from(self.prefix);
        shift >= width || (net >> shift) == (ip >> shift)
    }
}

/// An ip-restriction config, parsed.
#[derive(Debug)]
pub struct IpRestriction {
    allow: Vec<Range>,
    deny: Vec<Range>,
    status: u16,
    /// `None`: Kong's "IP address not allowed: <ip>".
    message: Option<String>,
}

fn ranges(config: &Value, field: &str) -> Result<Vec<Range>, String> {
    let Some(list) = config[field].as_array() else { return Ok(Vec::new()) };
    list.iter().filter_map(Value::as_str).map(Range::parse).collect()
}

impl IpRestriction {
    fn from_config(config: &Value) -> Result<IpRestriction, String> {
        Ok(IpRestriction {
            allow: ranges(config, "allow")?,
            deny: ranges(config, "deny")?,
            status: config["status"].as_f64().map_or(403, |s| s as u16),
            message: config["message"].as_str().map(str::to_string),
        })
    }

    /// Kong checks the deny list first, then that an allow list (if any) has the client.
    fn allows(&self, ip: IpAddr) -> bool {
        let listed = |list: &[Range]| list.iter().any(|r| r.contains(ip));
        !listed(&self.deny) && (self.allow.is_empty() || listed(&self.allow))
    }

    fn refuse(&self, ip: &str) -> Refusal {
        match &self.message {
            Some(m) => Refusal::new(self.status, m.clone()),
            None => Refusal::new(self.status, format!("IP address not allowed: {ip}")),
        }
    }
}

impl Plugin for IpRestriction {
    const NAME: &'static str = "ip-restriction";
    const PRIORITY: i32 = 990;

    fn parse(args: &Parse) -> Result<Self, String> {
        IpRestriction::from_config(args.config)
    }

    fn access(&self, ctx: &mut Context) -> Result<(), Refusal> {
        let Ok(ip) = ctx.client_ip.parse::<IpAddr>() else {
            return Err(Refusal::new(403, "Cannot identify the client IP address"));
        };
        if self.allows(ip) {
            Ok(())
        } else {
            Err(self.refuse(ctx.client_ip))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ranges_contain_their_addresses() {
        let cases = [
            ("10.0.0.0/8", "10.200.1.1", true),
            ("10.0.0.0/8", "11.0.0.1", false),
            ("127.0.0.1", "127.0.0.1", true),
            ("127.0.0.1", "127.0.0.2", false),
            ("0.0.0.0/0", "8.8.8.8", true),
            ("192.168.1.0/24", "::ffff:192.168.1.7", true),
            ("2001:db8::/32", "2001:db8:1::5", true),
            ("2001:db8::/32", "2001:db9::5", false),
            ("::1", "127.0.0.1", false),
        ];
        for (range, ip, want) in cases {
            let got = Range::parse(range).unwrap().contains(ip.parse().unwrap());
            assert_eq!(got, want, "{range} ∋ {ip}");
        }
        for bad in ["10.0.0.0/33", "300.1.1.1", "host", "::/129"] {
            assert!(Range::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn deny_wins_and_an_allow_list_leaves_out_the_rest() {
        let p = |c| IpRestriction::from_config(&c).unwrap();
        let ip = |s: &str| s.parse().unwrap();
        let both = p(json!({"allow": ["10.0.0.0/8"], "deny": ["10.0.0.5"]}));
        assert!(both.allows(ip("10.1.1.1")));
        assert!(!both.allows(ip("10.0.0.5")), "denied though in the allowed range");
        assert!(!both.allows(ip("192.168.0.1")), "not in the allow list");
        let deny_only = p(json!({"deny": ["127.0.0.1"]}));
        assert!(!deny_only.allows(ip("127.0.0.1")) && deny_only.allows(ip("127.0.0.2")));
        let refused = deny_only.refuse("127.0.0.1");
        assert_eq!((refused.status, &*refused.message), (403, "IP address not allowed: 127.0.0.1"));
        let custom = p(json!({"deny": ["127.0.0.1"], "status": 451, "message": "Go away"}));
        let refused = custom.refuse("127.0.0.1");
        assert_eq!((refused.status, &*refused.message), (451, "Go away"));
        assert!(IpRestriction::from_config(&json!({"allow": ["nope"]})).is_err());
    }
}
