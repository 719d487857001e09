//! App benchmark, in the real window (release build, Xvfb, WebDriver): launch to the overview
//! painted from a cache of 500 groups, a group's 10,000 routes painted from the cache, the
//! overview's filter and scroll frame times, and the whole app's memory with the living demo.
//! Prints one figure a line beside its goal; timings are medians.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use console::sync::CancelToken;
use console::{Console, Profile};
use konnect::KonnectClient;
use serde_json::{json, Value};
use system_tests::processes::{self, free_port};
use system_tests::webdriver::AppSession;
use system_tests::{bin_dir, ADMIN_TOKEN};
use tokio::task::JoinSet;

const GROUPS: usize = 500;
const ROUTES: usize = 10_000;
const LAUNCHES: usize = 5;
/// Times each launch opens the big group's page again after its first visit.
const REVISITS: usize = 4;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// POSTs every body to `url`, 16 in flight; returns the ids in order.
async fn create_all(http: &reqwest::Client, url: &str, bodies: Vec<Value>) -> Vec<String> {
    let mut ids = vec![String::new(); bodies.len()];
    let mut tasks = JoinSet::new();
    for (i, body) in bodies.into_iter().enumerate() {
        while tasks.len() >= 16 {
            let (j, id) = tasks.join_next().await.unwrap().unwrap();
            ids[j] = id;
        }
        let (http, url) = (http.clone(), url.to_string());
        tasks.spawn(async move {
            let r = http.post(&url).bearer_auth(ADMIN_TOKEN).json(&body).send().await.unwrap();
            assert!(r.status().is_success(), "{}: {}", r.status(), r.text().await.unwrap());
            let v: Value = r.json().await.unwrap();
            (i, v["id"].as_str().unwrap().to_string())
        });
    }
    while let Some(done) = tasks.join_next().await {
        let (j, id) = done.unwrap();
        ids[j] = id;
    }
    ids
}

/// The Local organization of a fresh data dir with 500 groups, the first holding 10,000 routes,
/// synced into the app's cache as the app syncs. Returns the big group's id.
async fn seed(data: &Path) -> String {
    let (api, cluster) = (free_port(), free_port());
    let cp = processes::control_plane(&console::embedded::control_plane_dir(data), api, cluster);
    let base = format!("http://127.0.0.1:{api}");
    let http = reqwest::Client::new();
    let groups: Vec<Value> = (0..GROUPS)
        .map(|g| {
            let (team, env) =
                (["payments", "orders", "search"][g % 3], ["dev", "staging", "prod"][g % 3]);
            json!({"name": format!("team-{g:03}-{team}"),
                   "description": format!("Gateway of team {g}, {env} environment"),
                   "labels": {"env": env}})
        })
        .collect();
    let ids = create_all(&http, &format!("{base}/v2/control-planes"), groups).await;
    let big = ids[0].clone();
    let entities = format!("{base}/v2/control-planes/{big}/core-entities");
    let service = create_all(
        &http,
        &format!("{entities}/services"),
        vec![json!({"name": "orders-api", "host": "orders.internal"})],
    )
    .await;
    let routes = (0..ROUTES)
        .map(|i| {
            json!({"name": format!("route-{i:05}-orders"), "paths": [format!("/orders/{i}")],
                   "service": {"id": service[0]}})
        })
        .collect();
    create_all(&http, &format!("{entities}/routes"), routes).await;
    let client = KonnectClient::new(&base, ADMIN_TOKEN).unwrap();
    let cache = console::embedded::cache_path(data);
    let console = Console::new(Profile::local(), client, &cache).unwrap();
    let report = console.sync(Arc::new(|_| {}), CancelToken::default()).await.unwrap();
    assert!(report.failed.is_empty(), "{report:?}");
    drop(cp);
    big
}

/// A home of its own per run, so the app's settings and window state start the same each time.
struct Desk {
    tmp: tempfile::TempDir,
    data: PathBuf,
}

impl Desk {
    fn new(data: &Path) -> Desk {
        let tmp = tempfile::tempdir().unwrap();
        for dir in ["home", "xdg-runtime"] {
            std::fs::create_dir_all(tmp.path().join(dir)).unwrap();
        }
        Desk { tmp, data: data.to_path_buf() }
    }

    async fn launch(&self, demo: bool) -> (AppSession, u32) {
        let (home, xdg) = (self.tmp.path().join("home"), self.tmp.path().join("xdg-runtime"));
        let demo = PathBuf::from(if demo { "on" } else { "off" });
        let memory = PathBuf::from("memory");
        let env: Vec<(&str, &Path)> = vec![
            ("RUNTIME_MANAGER_DATA_DIR", &self.data),
            ("HOME", &home),
            ("XDG_RUNTIME_DIR", &xdg),
            ("RUNTIME_MANAGER_DEMO", &demo),
            ("RUNTIME_MANAGER_SECRETS", &memory),
        ];
        let session = AppSession::launch(&app_exe(), &env).await;
        let pid = self.app_pid();
        (session, pid)
    }

    /// The app process of this desk (the one WebKitWebDriver started with its data dir).
    fn app_pid(&self) -> u32 {
        let exe = app_exe();
        let marker = format!("RUNTIME_MANAGER_DATA_DIR={}", self.data.display());
        let pids = std::fs::read_dir("/proc").unwrap().flatten();
        pids.filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| {
                std::fs::read_link(format!("/proc/{pid}/exe")).ok().as_ref() == Some(&exe)
            })
            .find(|pid| {
                let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
                environ.split(|b| *b == 0).any(|v| v == marker.as_bytes())
            })
            .expect("the app's process")
    }
}

thread_local! {
    /// The app binary launched (`APP_BENCH_AB` sets one binary after another).
    static APP_EXE: std::cell::RefCell<Option<PathBuf>> = const { std::cell::RefCell::new(None) };
}

/// The app binary to launch: the release build's, unless a comparison set another.
fn app_exe() -> PathBuf {
    APP_EXE.with(|e| e.borrow().clone()).unwrap_or_else(|| bin_dir().join("runtime-manager"))
}

/// The big group's routes, as a link to its page opens them.
fn routes_page(big: &str) -> String {
    format!("#/runtime-groups/{big}?kind=routes#configuration")
}

/// `APP_BENCH_AB=<binary>,<binary>,…`: launches each copied build of the app in turn, seven rounds
/// after a warm-up, and prints each one's median launch, page part and group page. Alternating the builds in
/// one run keeps this VM's drift (±30% between runs) out of their difference.
async fn compare_builds(data: &Path, big: &str, bins: &str) {
    let bins: Vec<PathBuf> = bins.split(',').map(PathBuf::from).collect();
    let mut launch: Vec<Vec<f64>> = vec![vec![]; bins.len()];
    let mut page: Vec<Vec<f64>> = vec![vec![]; bins.len()];
    let mut routes: Vec<Vec<f64>> = vec![vec![]; bins.len()];
    let desk = Desk::new(data);
    for round in 0..=7 {
        for (i, bin) in bins.iter().enumerate() {
            APP_EXE.with(|e| *e.borrow_mut() = Some(bin.clone()));
            let (s, pid) = desk.launch(false).await;
            let (total, part) = launch_times(&s, pid).await;
            let hash = routes_page(big);
            let (group, navigated) = navigate_to_mark(&s, &hash, "entities-painted").await;
            eprintln!("  {}", breakdown(&s, navigated, ROUTES_STEPS).await);
            eprintln!(
                "{} round {round}: launch {total:.0} ms, page {part:.0} ms, group page {group:.0} ms",
                bin.display()
            );
            if round > 0 {
                launch[i].push(total);
                page[i].push(part);
                routes[i].push(group);
            }
            s.close().await;
            processes::until_app_quits(pid, Duration::from_secs(10)).await;
        }
    }
    for (i, bin) in bins.iter().enumerate() {
        println!(
            "{}: launch → overview painted {:.0} ms, the page's part {:.0} ms; group page {:.0} ms \
             (medians of 7)",
            bin.display(),
            median(launch[i].clone()),
            median(page[i].clone()),
            median(routes[i].clone())
        );
    }
}

/// A launch's time to the overview painted from process `pid`'s start, and the page's part of it
/// (from the page's fetch: what the window's code, style and data take after WebKit is up).
async fn launch_times(s: &AppSession, pid: u32) -> (f64, f64) {
    let started = started_at_ms(pid);
    let painted = mark_epoch(s, "overview-painted").await;
    let fetched = "return performance.timeOrigin + \
                   performance.getEntriesByType('navigation')[0].fetchStart";
    let fetched = s.execute(fetched).await.as_f64().unwrap();
    (painted - started, painted - fetched)
}

/// When `pid` started, in ms since the epoch: /proc's start time (clock ticks of 10 ms since
/// boot) on the boot time read off the clocks now. /proc/stat's `btime` is whole seconds, so a
/// start read against it was off by the boot time's fraction of a second, the same for every
/// launch of one boot but anywhere from 0 to 1,000 ms from one boot to the next.
fn started_at_ms(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name (which may hold spaces) start at its closing parenthesis.
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let ticks: f64 = after.split(' ').nth(19).unwrap().parse().unwrap();
    let hz = 100.0; // USER_HZ on Linux
    booted_at_ms() + ticks / hz * 1000.0
}

/// When the machine booted, in ms since the epoch: the time now less the time since boot (both
/// read at once; /proc/uptime counts in 10 ms, as process start times do).
fn booted_at_ms() -> f64 {
    let uptime = std::fs::read_to_string("/proc/uptime").unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let up: f64 = uptime.split_whitespace().next().unwrap().parse().unwrap();
    now.as_secs_f64() * 1000.0 - up * 1000.0
}

/// Waits for the page's performance mark `name`; returns its time in ms since the epoch.
async fn mark_epoch(s: &AppSession, name: &str) -> f64 {
    let script = format!(
        "const m = performance.getEntriesByName('{name}'); \
         return m.length ? performance.timeOrigin + m[m.length - 1].startTime : null"
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(t) = s.execute(&script).await.as_f64() {
            return t;
        }
        assert!(Instant::now() < deadline, "the page never set the mark {name}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Navigates to `hash`; the ms from just before (the page may mount its new view within the
/// navigation itself) to the page's mark `name` (set anew), and that start (ms since the epoch).
async fn navigate_to_mark(s: &AppSession, hash: &str, name: &str) -> (f64, f64) {
    let start = s
        .execute(&format!(
            "const t = performance.timeOrigin + performance.now(); performance.clearMarks(); \
             location.hash = '{hash}'; return t"
        ))
        .await
        .as_f64()
        .unwrap();
    (mark_epoch(s, name).await - start, start)
}

/// A launch's steps: the page's load (navigation timing), its first paint, the cached overview
/// received, its rows rendered and painted.
const LAUNCH_STEPS: &[&str] = &[
    "fetchStart",
    "domContentLoadedEventEnd",
    "app-mounted",
    "overview-asked",
    "overview-received",
    "overview-painted-rendered",
    "overview-painted",
];
/// A group page's steps: the cached list received, its rows rendered and painted.
const ROUTES_STEPS: &[&str] = &[
    "group-page-setup",
    "entities-asked",
    "entities-received",
    "entities-painted-rendered",
    "entities-painted",
    "entities-complete",
];

/// Where the time went: each step's ms after `from` (ms since the epoch), as the page saw it.
async fn breakdown(s: &AppSession, from: f64, steps: &[&str]) -> String {
    let script = format!(
        "const nav = performance.getEntriesByType('navigation')[0] || {{}}; \
         return {steps:?}.map(n => {{ const m = performance.getEntriesByName(n); \
           const t = m.length ? m[m.length - 1].startTime : nav[n]; \
           return t === undefined ? null : performance.timeOrigin + t; }})"
    );
    let times = s.execute(&script).await;
    let times = times.as_array().cloned().unwrap_or_default();
    let parts = steps.iter().zip(times).map(|(name, t)| match t.as_f64() {
        Some(t) => format!("{name} +{:.0}", t - from),
        None => format!("{name} –"),
    });
    parts.collect::<Vec<_>>().join(", ")
}

/// Frame times (ms) while the page does `step(i)` once per frame for `frames` frames.
async fn frame_times(s: &AppSession, step: &str, frames: usize) -> Vec<f64> {
    let script = format!(
        "const done = arguments[arguments.length - 1]; const times = []; let i = 0; \
         let last = performance.now(); \
         function frame(now) {{ times.push(now - last); last = now; \
           if (i >= {frames}) return done(times.slice(1)); {step}; i++; \
           requestAnimationFrame(frame); }} \
         requestAnimationFrame(frame);"
    );
    let v = s.execute_async(&script).await;
    let times = v.as_array().unwrap_or_else(|| panic!("frame times: {v}"));
    times.iter().map(|t| t.as_f64().unwrap()).collect()
}

fn share_over(times: &[f64], ms: f64) -> f64 {
    100.0 * times.iter().filter(|t| **t > ms).count() as f64 / times.len() as f64
}

/// A set of processes' memory (MiB): their RSS summed, their PSS summed, and their resident pages
/// each counted once where the page frames can be read.
struct Memory {
    rss: f64,
    pss: f64,
    once: Option<f64>,
}

impl Memory {
    fn of(pids: &[u32]) -> Memory {
        let (rss, pss) = memory_mib(pids);
        Memory { rss, pss, once: resident_once_mib(pids) }
    }
}

impl std::fmt::Display for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "RSS summed {:.0} MiB, PSS {:.0} MiB", self.rss, self.pss)?;
        match self.once {
            Some(once) => write!(f, ", resident pages counted once {once:.0} MiB"),
            None => Ok(()),
        }
    }
}

/// Resident and proportional set size (MiB) of `pids` from /proc's smaps_rollup.
fn memory_mib(pids: &[u32]) -> (f64, f64) {
    let (mut rss, mut pss) = (0.0, 0.0);
    for pid in pids {
        let rollup =
            std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
        for line in rollup.lines() {
            let kb = |l: &str| -> f64 {
                l.split_whitespace().nth(1).and_then(|v| v.parse().ok()).unwrap_or(0.0)
            };
            if line.starts_with("Rss:") {
                rss += kb(line) / 1024.0;
            } else if line.starts_with("Pss:") {
                pss += kb(line) / 1024.0;
            }
        }
    }
    (rss, pss)
}

/// The app's resident memory with each physical page counted once (MiB): the pages of `pids`
/// that are in memory, by page frame from /proc's pagemap (root only). A library that all three
/// of WebKit's processes map is resident once, where summing their RSS counts it three times.
/// `None` where the page frames cannot be read.
fn resident_once_mib(pids: &[u32]) -> Option<f64> {
    use std::io::{Read, Seek, SeekFrom};
    let mut frames = std::collections::HashSet::new();
    for pid in pids {
        let maps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).ok()?;
        let mut pagemap = std::fs::File::open(format!("/proc/{pid}/pagemap")).ok()?;
        let mut range = None;
        for line in maps.lines() {
            if let Some((start, end)) = line.split_whitespace().next().and_then(|r| {
                let (a, b) = r.split_once('-')?;
                Some((u64::from_str_radix(a, 16).ok()?, u64::from_str_radix(b, 16).ok()?))
            }) {
                range = Some((start, end));
            } else if line.starts_with("Rss:") && !line.ends_with(" 0 kB") {
                let (start, end) = range.take()?;
                let mut entries = vec![0u8; ((end - start) / 4096 * 8) as usize];
                pagemap.seek(SeekFrom::Start(start / 4096 * 8)).ok()?;
                pagemap.read_exact(&mut entries).ok()?;
                for entry in entries.chunks_exact(8) {
                    let entry = u64::from_le_bytes(entry.try_into().unwrap());
                    let frame = entry & ((1 << 55) - 1);
                    if entry >> 63 == 1 && frame != 0 {
                        frames.insert(frame);
                    }
                }
            }
        }
    }
    (!frames.is_empty()).then(|| frames.len() as f64 * 4096.0 / 1024.0 / 1024.0)
}

/// `pid` and every process below it, with their command names.
fn tree(pid: u32) -> Vec<(u32, String)> {
    let all: Vec<(u32, u32, String)> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|p| {
            let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
            let name = stat[stat.find('(')? + 1..stat.rfind(')')?].to_string();
            let ppid = stat[stat.rfind(')')? + 2..].split(' ').nth(1)?.parse().ok()?;
            Some((p, ppid, name))
        })
        .collect();
    let mut out = vec![(pid, "runtime-manager".to_string())];
    let mut i = 0;
    while i < out.len() {
        let parent = out[i].0;
        out.extend(all.iter().filter(|(_, pp, _)| *pp == parent).map(|(p, _, n)| (*p, n.clone())));
        i += 1;
    }
    out
}

/// The Rust side of the group page's first list alone: the 10,000 cached routes read and written
/// as the command's JSON, without the window (what the window adds is the transfer and parse).
async fn cached_list_in_rust(data: &Path, big: &str) {
    let client = KonnectClient::new("http://127.0.0.1:9", ADMIN_TOKEN).unwrap();
    let console =
        Console::new(Profile::local(), client, &console::embedded::cache_path(data)).unwrap();
    let mut times = vec![];
    let mut bytes = 0;
    for _ in 0..7 {
        let t = Instant::now();
        let list = console.cached_group_entities_json(big, "routes", None).await.unwrap().unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        bytes = list.0.get().len();
    }
    println!(
        "  (the group page's {ROUTES} cached routes in Rust: {:.1} ms for {:.1} MB of JSON, the \
         rest of its time is the window's transfer, parse and paint)",
        median(times),
        bytes as f64 / 1e6
    );
}

/// The launch floor: a bare Tauri window painting a small table (`launch_floor`, built by
/// bench.sh), launched as the app is; the median of its own process-start-to-paint times.
fn launch_floor() -> Option<f64> {
    let floor = bin_dir().join("examples/launch_floor");
    if !floor.exists() {
        eprintln!("no launch floor at {} (bench.sh builds it)", floor.display());
        return None;
    }
    let tmp = tempfile::tempdir().unwrap();
    let times: Vec<f64> = (0..=LAUNCHES)
        .filter_map(|_| {
            let child = std::process::Command::new(&floor)
                .env("HOME", tmp.path())
                .env("XDG_RUNTIME_DIR", tmp.path())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .ok()?;
            let started = started_at_ms(child.id());
            let out = child.wait_with_output().ok()?;
            // The floor prints when its table was painted and when its page was asked for.
            let printed = String::from_utf8_lossy(&out.stdout);
            let mut times = printed.split_whitespace().map(|t| t.parse::<f64>().ok());
            let (painted, fetched) = (times.next()?? - started, times.next()?? - started);
            eprintln!("launch floor: {painted:.0} ms (page asked for after {fetched:.0} ms)");
            Some(painted)
        })
        .skip(1) // the warm-up launch, as for the app
        .collect();
    (!times.is_empty()).then(|| median(times))
}

/// The memory floor: the bare Tauri window of [`launch_floor`] left open, its processes' memory
/// once its table is painted.
fn memory_floor() -> Option<Memory> {
    use std::io::BufRead;
    let floor = bin_dir().join("examples/launch_floor");
    let tmp = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(&floor)
        .env("HOME", tmp.path())
        .env("XDG_RUNTIME_DIR", tmp.path())
        .env("LAUNCH_FLOOR_STAY", "1")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    let mut painted = String::new();
    std::io::BufReader::new(child.stdout.take()?).read_line(&mut painted).ok()?;
    std::thread::sleep(Duration::from_secs(2));
    let pids: Vec<u32> = tree(child.id()).into_iter().map(|(p, _)| p).collect();
    let memory = Memory::of(&pids);
    let _ = child.kill();
    let _ = child.wait();
    Some(memory)
}

async fn launch_and_browse(data: &Path, big: &str) {
    let desk = Desk::new(data);
    let (mut launch, mut page, mut routes, mut complete) = (vec![], vec![], vec![], vec![]);
    let mut revisits = vec![];
    let (mut scroll, mut filter) = (vec![], vec![]);
    // One launch first to warm the page cache (what a user's second launch of the day meets).
    for round in 0..=LAUNCHES {
        let (s, pid) = desk.launch(false).await;
        let (painted, page_part) = launch_times(&s, pid).await;
        eprintln!("  {}", breakdown(&s, started_at_ms(pid), LAUNCH_STEPS).await);
        let rows =
            s.execute("return document.querySelectorAll('[data-testid^=group-row-]').length").await;
        assert!(rows.as_u64().unwrap() > 0, "the overview painted no group rows");
        eprintln!("launch {round}: overview painted after {painted:.0} ms");
        if round > 0 {
            launch.push(painted);
            page.push(page_part);
            let hash = routes_page(big);
            let (took, navigated) = navigate_to_mark(&s, &hash, "entities-painted").await;
            routes.push(took);
            eprintln!("routes painted after {took:.0} ms");
            eprintln!("  {}", breakdown(&s, navigated, ROUTES_STEPS).await);
            // The first rows paint before the rest are read; then every route is listed.
            let all = mark_epoch(&s, "entities-complete").await - navigated;
            complete.push(all);
            let rows = "return document.querySelector('[data-testid=entity-table]')\
                        ?.getAttribute('aria-rowcount')";
            let rows = s.execute(rows).await;
            assert_eq!(rows.as_str(), Some(&*(ROUTES + 1).to_string()), "every route listed");
            navigate_to_mark(&s, "#/runtime-groups", "overview-painted").await;
            let scroller = "(document.querySelector('main') || document.scrollingElement)";
            s.execute(&format!("{scroller}.scrollTop = 0")).await;
            scroll.extend(frame_times(&s, &format!("{scroller}.scrollTop += 60"), 120).await);
            let typing = "const f = document.querySelector('[data-testid=group-filter] input') || \
                          document.querySelector('[data-testid=group-filter]'); \
                          f.value = ['t', 'te', 'tea', 'team', 'team-', 'team-0', 'team-01', \
                          'team-012', 'team-01', 'team-0', 'team-', 'team', 'pay', 'payments \
                          prod', 'orders', ''][i % 16]; f.dispatchEvent(new Event('input'))";
            filter.extend(frame_times(&s, typing, 48).await);
            // Browsing on: the same group's page opened again from the overview, its code and
            // styles now in use (the first visit above is the launch's first). Each visit reads
            // all 10,000 routes and the live list after its first rows; the next click comes
            // once that is done, as a reader's would.
            for _ in 0..REVISITS {
                tokio::time::sleep(Duration::from_millis(1000)).await;
                revisits.push(navigate_to_mark(&s, &hash, "entities-painted").await.0);
                mark_epoch(&s, "entities-complete").await;
                tokio::time::sleep(Duration::from_millis(1500)).await;
                navigate_to_mark(&s, "#/runtime-groups", "overview-painted").await;
            }
        }
        s.close().await;
        // The next launch must not meet this one still quitting (a single-instance app hands a
        // second launch to the first).
        processes::until_app_quits(pid, Duration::from_secs(10)).await;
    }
    let app = median(launch.clone());
    println!(
        "launch → overview painted from the cache, {GROUPS} groups (median of {LAUNCHES} after a \
         warm-up launch; each, ms: {}): {app:.0} ms (goal <= 400 ms)",
        launch.iter().map(|t| format!("{t:.0}")).collect::<Vec<_>>().join(", "),
    );
    println!(
        "  (the page's part, from its fetch to the rows painted: {:.0} ms; before it, the process, \
         GTK and WebKit's start)",
        median(page)
    );
    if let Some(floor) = launch_floor() {
        println!(
            "  (the floor here, a bare Tauri window painting a 30-row table: {floor:.0} ms; the \
             app's launch is {:.2}× it)",
            app / floor
        );
    }
    println!(
        "group page with {ROUTES} routes, its rows on screen painted from the cache (each, ms: \
         {}): {:.0} ms (goal <= 100 ms)",
        routes.iter().map(|t| format!("{t:.0}")).collect::<Vec<_>>().join(", "),
        median(routes.clone())
    );
    println!(
        "  (opened again later in the same launch, {} visits: {:.0} ms, goal <= 100 ms)",
        revisits.len(),
        median(revisits.clone())
    );
    println!(
        "  (and all {ROUTES} listed, each, ms: {}: {:.0} ms)",
        complete.iter().map(|t| format!("{t:.0}")).collect::<Vec<_>>().join(", "),
        median(complete.clone())
    );
    println!(
        "overview of {GROUPS} groups scrolling: frame median {:.1} ms, {:.0}% of frames over \
         20 ms (goal: the display's rate, 16.7 ms at 60 Hz)",
        median(scroll.clone()),
        share_over(&scroll, 20.0)
    );
    println!(
        "overview of {GROUPS} groups filtering a keystroke a frame: frame median {:.1} ms, {:.0}% \
         of frames over 20 ms (goal: the display's rate, 16.7 ms at 60 Hz)",
        median(filter.clone()),
        share_over(&filter, 20.0)
    );
}

/// The whole app (its Rust process and WebKit's processes, not the demo's runtime processes,
/// which are the gateway's) after the living demo has run for a while.
async fn memory_with_demo() {
    let data = tempfile::tempdir().unwrap();
    let desk = Desk::new(data.path());
    let (s, pid) = desk.launch(true).await;
    mark_epoch(&s, "overview-painted").await;
    s.find("[data-testid=demo-banner]").await;
    tokio::time::sleep(Duration::from_secs(20)).await;
    let procs: Vec<(u32, String)> =
        tree(pid).into_iter().filter(|(_, name)| name != "runtime").collect();
    let app = Memory::of(&procs.iter().map(|(p, _)| *p).collect::<Vec<_>>());
    let rust = Memory::of(&[pid]);
    println!(
        "whole app with the demo running (release; {} processes: {}): {}; the Rust process alone \
         RSS {:.0} MiB (goal <= 300 MB RSS)",
        procs.len(),
        procs.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>().join(", "),
        app,
        rust.rss
    );
    s.close().await;
    if let Some(floor) = memory_floor() {
        println!(
            "  (the floor here, a bare Tauri window showing a 30-row table: {floor}; the app is \
             {:.2}× it in summed RSS, {:.2}× in PSS{})",
            app.rss / floor.rss,
            app.pss / floor.pss,
            match (app.once, floor.once) {
                (Some(a), Some(f)) => format!(", {:.2}× in resident pages", a / f),
                _ => String::new(),
            }
        );
    }
}

#[tokio::main]
async fn main() {
    if !system_tests::have_display() {
        println!("app benchmark skipped: no display (run it under xvfb-run, as bench.sh does)");
        return;
    }
    // APP_BENCH_ONLY=memory measures the memory alone, with no organization to seed.
    if std::env::var("APP_BENCH_ONLY").as_deref() != Ok("memory") {
        let tmp = tempfile::tempdir().unwrap();
        // APP_BENCH_DATA keeps the seeded organization between runs while profiling.
        let data = std::env::var("APP_BENCH_DATA").map(PathBuf::from).unwrap_or(tmp.path().into());
        let t = Instant::now();
        let big = match std::fs::read_to_string(data.join("big-group")) {
            Ok(id) => id,
            Err(_) => seed(&data).await,
        };
        std::fs::write(data.join("big-group"), &big).unwrap();
        eprintln!(
            "seeded and synced {GROUPS} groups and {ROUTES} routes in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        if let Ok(bins) = std::env::var("APP_BENCH_AB") {
            return compare_builds(&data, &big, &bins).await;
        }
        cached_list_in_rust(&data, &big).await;
        launch_and_browse(&data, &big).await;
    }
    memory_with_demo().await;
}
