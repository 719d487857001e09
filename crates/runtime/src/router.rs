//! Route matching as Kong's traditional router does it: hosts (with one leftmost or rightmost
//! wildcard), prefix and `~` regex paths, methods, headers; Kong's priority order; strip_path;
//! and the upstream path per `path_handling` v0.

use regex::Regex;

#[derive(Debug, Clone)]
enum HostMatch {
    Exact(String),
    /// `*.example.com` or `example.*`, as an anchored regex.
    Wildcard(Regex),
}

#[derive(Debug, Clone)]
enum PathMatch {
    Prefix(String),
    Regex(Regex),
}

#[derive(Debug, Clone)]
enum HeaderMatch {
    Values(Vec<String>),
    Regex(Regex),
}

#[derive(Debug, Clone)]
pub struct Route {
    pub id: String,
    pub service: Option<String>,
    hosts: Vec<HostMatch>,
    methods: Vec<String>,
    headers: Vec<(String, HeaderMatch)>,
    pub strip_path: bool,
    pub preserve_host: bool,
    pub path_handling: String,
    regex_priority: i64,
    created_at: f64,
    pub protocols: Vec<String>,
    paths: Vec<PathMatch>,
}

/// One candidate: a route split per path, as Kong splits a route with several paths.
#[derive(Debug, Clone)]
struct Entry {
    route: usize,
    path: Option<PathMatch>,
}

#[derive(Debug, Default)]
pub struct Router {
    routes: Vec<Route>,
    entries: Vec<Entry>,
}

/// What matched: the route, and the request path with the matched part removed if `strip_path`.
#[derive(Debug)]
pub struct Matched<'a> {
    pub route: &'a Route,
    pub remainder: String,
}

impl Route {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: String,
        service: Option<String>,
        hosts: Vec<String>,
        paths: Vec<String>,
        methods: Vec<String>,
        headers: Vec<(String, Vec<String>)>,
        strip_path: bool,
        preserve_host: bool,
        path_handling: String,
        regex_priority: i64,
        created_at: f64,
        protocols: Vec<String>,
    ) -> Result<Route, String> {
        let hosts = hosts
            .into_iter()
            .map(|h| {
                let h = h.to_lowercase();
                if h.contains('*') {
                    let pattern = format!("^{}(:\\d+)?$", regex::escape(&h).replace("\\*", ".+"));
                    Regex::new(&pattern).map(HostMatch::Wildcard).map_err(|e| e.to_string())
                } else {
                    Ok(HostMatch::Exact(h))
                }
            })
            .collect::<Result<_, _>>()?;
        let paths = paths
            .into_iter()
            .map(|p| match p.strip_prefix('~') {
                Some(re) => hybrid::route_regex::path_regex(re)
                    .map(PathMatch::Regex)
                    .map_err(|e| format!("route {id}: {e}")),
                None => Ok(PathMatch::Prefix(p)),
            })
            .collect::<Result<_, _>>()?;
        let headers = headers
            .into_iter()
            .map(|(name, values)| {
                let m = match values.as_slice() {
                    [one] if one.starts_with("~*") => HeaderMatch::Regex(
                        hybrid::route_regex::header_regex(&one[2..]).map_err(|e| e.to_string())?,
                    ),
                    _ => {
                        HeaderMatch::Values(values.into_iter().map(|v| v.to_lowercase()).collect())
                    }
                };
                Ok::<_, String>((name, m))
            })
            .collect::<Result<_, _>>()?;
        Ok(Route {
            id,
            service,
            hosts,
            paths,
            methods: methods.into_iter().map(|m| m.to_uppercase()).collect(),
            headers,
            strip_path,
            preserve_host,
            path_handling,
            regex_priority,
            created_at,
            protocols,
        })
    }
}

/// Kong's ordering: more attributes first (ties: host > header > uri > method), plain hosts over
/// wildcards, more headers, regex paths by regex_priority, longer prefixes, then the oldest route.
fn sort_key(r: &Route, path: &Option<PathMatch>) -> (u32, u32, bool, usize, bool, i64, usize, i64) {
    let (has_host, has_header, has_path, has_method) =
        (!r.hosts.is_empty(), !r.headers.is_empty(), path.is_some(), !r.methods.is_empty());
    let count = [has_host, has_header, has_path, has_method].iter().filter(|b| **b).count() as u32;
    let mask = (has_host as u32) << 3
        | (has_header as u32) << 2
        | (has_path as u32) << 1
        | has_method as u32;
    let plain_hosts = has_host && r.hosts.iter().all(|h| matches!(h, HostMatch::Exact(_)));
    let (is_regex, prefix_len) = match path {
        Some(PathMatch::Regex(_)) => (true, 0),
        Some(PathMatch::Prefix(p)) => (false, p.len()),
        None => (false, 0),
    };
    let regex_priority = if is_regex { r.regex_priority } else { 0 };
    (
        count,
        mask,
        plain_hosts,
        r.headers.len(),
        is_regex,
        regex_priority,
        prefix_len,
        -(r.created_at * 1000.0) as i64,
    )
}

impl Router {
    pub fn new(routes: Vec<Route>) -> Router {
        let mut entries: Vec<Entry> = Vec::new();
        for (i, r) in routes.iter().enumerate() {
            if r.paths.is_empty() {
                entries.push(Entry { route: i, path: None });
            }
            for p in &r.paths {
                entries.push(Entry { route: i, path: Some(p.clone()) });
            }
        }
        entries.sort_by(|a, b| {
            sort_key(&routes[b.route], &b.path).cmp(&sort_key(&routes[a.route], &a.path))
        });
        Router { routes, entries }
    }

    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// `host` is the Host header (may carry a port); `header` looks a request header up by
    /// lower-case name.
    pub fn find<'a>(
        &'a self,
        method: &str,
        host: &str,
        path: &str,
        header: impl Fn(&str) -> Option<String>,
    ) -> Option<Matched<'a>> {
        let host = host.to_lowercase();
        let host_no_port = host
            .rsplit_once(':')
            .filter(|(_, p)| p.chars().all(|c| c.is_ascii_digit()))
            .map(|(h, _)| h)
            .unwrap_or(&host);
        'entries: for e in &self.entries {
            let r = &self.routes[e.route];
            if !r.methods.is_empty() && !r.methods.iter().any(|m| m == method) {
                continue;
            }
            if !r.hosts.is_empty()
                && !r.hosts.iter().any(|h| match h {
                    HostMatch::Exact(x) => x == host_no_port || *x == host,
                    HostMatch::Wildcard(re) => re.is_match(&host) || re.is_match(host_no_port),
                })
            {
                continue;
            }
            for (name, m) in &r.headers {
                let Some(value) = header(name) else { continue 'entries };
                let ok = match m {
                    HeaderMatch::Values(vs) => vs.iter().any(|v| value.eq_ignore_ascii_case(v)),
                    HeaderMatch::Regex(re) => re.is_match(&value),
                };
                if !ok {
                    continue 'entries;
                }
            }
            let matched_len = match &e.path {
                None => 0,
                Some(PathMatch::Prefix(p)) if path.starts_with(p.as_str()) => p.len(),
                Some(PathMatch::Regex(re)) => match re.find(path) {
                    Some(m) => m.end(),
                    None => continue,
                },
                Some(PathMatch::Prefix(_)) => continue,
            };
            let remainder =
                if r.strip_path { path[matched_len..].to_string() } else { path.to_string() };
            return Some(Matched { route: r, remainder });
        }
        None
    }
}

/// The upstream path: the service path joined with what is left of the request path.
/// `path_handling` v0 (Kong's default) always puts one slash between them.
pub fn upstream_path(service_path: Option<&str>, remainder: &str, handling: &str) -> String {
    let base = service_path.unwrap_or("/");
    if handling == "v1" {
        return match (base.ends_with('/'), remainder.starts_with('/')) {
            _ if remainder.is_empty() => base.to_string(),
            (true, true) => format!("{base}{}", &remainder[1..]),
            _ => format!("{base}{remainder}"),
        };
    }
    let rest = remainder.trim_start_matches('/');
    let base_trimmed = base.trim_end_matches('/');
    if rest.is_empty() {
        let trailing = remainder.ends_with('/') && !remainder.is_empty();
        if base_trimmed.is_empty() {
            return "/".into();
        }
        return if trailing { format!("{base_trimmed}/") } else { base_trimmed.to_string() };
    }
    format!("{base_trimmed}/{rest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(id: &str, hosts: &[&str], paths: &[&str], methods: &[&str]) -> Route {
        let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        Route::new(
            id.into(),
            None,
            v(hosts),
            v(paths),
            v(methods),
            vec![],
            true,
            false,
            "v0".into(),
            0,
            0.0,
            v(&["http"]),
        )
        .unwrap()
    }

    #[test]
    fn path_handling_v0_follows_kongs_table() {
        assert_eq!(upstream_path(Some("/s"), "", "v0"), "/s");
        assert_eq!(upstream_path(Some("/s"), "/a", "v0"), "/s/a");
        assert_eq!(upstream_path(Some("/s"), "a", "v0"), "/s/a");
        assert_eq!(upstream_path(Some("/s/"), "", "v0"), "/s");
        assert_eq!(upstream_path(Some("/s/"), "/", "v0"), "/s/");
        assert_eq!(upstream_path(Some("/"), "/a", "v0"), "/a");
        assert_eq!(upstream_path(None, "", "v0"), "/");
        assert_eq!(upstream_path(Some("/s"), "/r/a", "v0"), "/s/r/a");
    }

    #[test]
    fn more_specific_routes_win_and_prefixes_strip() {
        let router = Router::new(vec![
            route("any-users", &[], &["/users"], &[]),
            route("users-get", &[], &["/users"], &["GET"]),
            route("host-users", &["api.example.com"], &["/users"], &[]),
            route("wild", &["*.example.org"], &[], &[]),
            route("long", &[], &["/users/admin"], &[]),
            route("regex", &[], &["~/items/\\d+$"], &[]),
        ]);
        let f = |m: &str, h: &str, p: &str| {
            router.find(m, h, p, |_| None).map(|x| (x.route.id.clone(), x.remainder))
        };
        assert_eq!(f("GET", "x", "/users/1"), Some(("users-get".into(), "/1".into())));
        assert_eq!(f("POST", "x", "/users/1"), Some(("any-users".into(), "/1".into())));
        assert_eq!(
            f("POST", "api.example.com:8000", "/users"),
            Some(("host-users".into(), "".into()))
        );
        assert_eq!(
            f("POST", "x", "/users/admin/x"),
            Some(("long".into(), "/x".into())),
            "longest prefix"
        );
        assert_eq!(
            f("GET", "a.example.org", "/anything"),
            Some(("wild".into(), "/anything".into())),
            "no path: nothing to strip"
        );
        assert_eq!(f("GET", "x", "/items/42"), Some(("regex".into(), "".into())));
        assert_eq!(f("GET", "x", "/items/abc"), None);
        assert_eq!(f("GET", "x", "/nothing"), None);
    }

    #[test]
    fn headers_match_case_insensitively_or_by_regex() {
        let mut r = route("h", &[], &["/"], &[]);
        r = Route {
            headers: vec![("x-env".into(), HeaderMatch::Values(vec!["canary".into()]))],
            ..r
        };
        let router = Router::new(vec![r, route("plain", &[], &["/"], &[])]);
        let hit = router
            .find("GET", "x", "/a", |n| (n == "x-env").then(|| "CANARY".to_string()))
            .unwrap();
        assert_eq!(hit.route.id, "h");
        assert_eq!(router.find("GET", "x", "/a", |_| None).unwrap().route.id, "plain");
    }
}
