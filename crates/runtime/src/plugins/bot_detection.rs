//! bot-detection: requests from known bots and denied user agents refused with 403 (Kong's
//! `bot-detection`, priority 2500, access phase; its rules from `kong/plugins/bot-detection/rules.lua`).

use std::sync::LazyLock;

use regex::bytes::RegexSet;
use regex::Regex;
use serde_json::Value;

use super::{Context, Parse, Plugin, Refusal};

/// Kong's built-in bot rules (taken by Kong from ua-parser's `regexes.yaml`).
const BOTS: [&str; 14] = [
    r"(Pingdom\.com_bot_version_)(\d+)\.(\d+)",
    r"(facebookexternalhit)/(\d+)\.(\d+)",
    r"Google.*/\+/web/snippet",
    r"(Twitterbot)/(\d+)\.(\d+)",
    r"\b(Boto3?|JetS3t|aws-(?:cli|sdk-(?:cpp|go|java|nodejs|ruby2?|dotnet-(?:\d{1,2}|core)))|s3fs)/(\d+)\.(\d+)(?:\.(\d+)|)",
    r" PTST/\d+(?:\.)?\d+$",
    r"/((?:Ant-)?Nutch|[A-z]+[Bb]ot|[A-z]+[Ss]pider|Axtaris|fetchurl|Isara|ShopSalad|Tailsweep)[ \-](\d+)(?:\.(\d+)(?:\.(\d+))?)?",
    r"\b(008|Altresium|Argus|BaiduMobaider|BoardReader|DNSGroup|DataparkSearch|EDI|Goodzer|Grub|INGRID|Infohelfer|LinkedInBot|LOOQ|Nutch|OgScrper|PathDefender|Peew|PostPost|Steeler|Twitterbot|VSE|WebCrunch|WebZIP|Y!J-BR[A-Z]|YahooSeeker|envolk|sproose|wminer)/(\d+)(?:\.(\d+)|)(?:\.(\d+)|)",
    r"(MSIE) (\d+)\.(\d+)([a-z]\d|[a-z]|);.* MSIECrawler",
    r"(Google-HTTP-Java-Client|Apache-HttpClient|Go-http-client|scalaj-http|http%20client|Python-urllib|HttpMonitor|TLSProber|WinHTTP|JNLP|okhttp|aihttp|reqwest|axios|unirest-(?:java|python|ruby|nodejs|php|net))(?:[ /](\d+)(?:\.(\d+)|)(?:\.(\d+)|)|)",
    r"(CSimpleSpider|Cityreview Robot|CrawlDaddy|CrawlFire|Finderbots|Index crawler|Job Roboter|KiwiStatus Spider|Lijit Crawler|QuerySeekerSpider|ScollSpider|Trends Crawler|USyd-NLP-Spider|SiteCat Webbot|BotName\/\$BotVersion|123metaspider-Bot|1470\.net crawler|50\.nu|8bo Crawler Bot|Aboundex|Accoona-[A-z]{1,30}-Agent|AdsBot-Google(?:-[a-z]{1,30}|)|altavista|AppEngine-Google|archive.{0,30}\.org_bot|archiver|Ask Jeeves|[Bb]ai[Dd]u[Ss]pider(?:-[A-Za-z]{1,30})(?:-[A-Za-z]{1,30}|)|bingbot|BingPreview|blitzbot|BlogBridge|Bloglovin|BoardReader Blog Indexer|BoardReader Favicon Fetcher|boitho.com-dc|BotSeer|BUbiNG|\b\w{0,30}favicon\w{0,30}\b|\bYeti(?:-[a-z]{1,30}|)|Catchpoint(?: bot|)|[Cc]harlotte|Checklinks|clumboot|Comodo HTTP\(S\) Crawler|Comodo-Webinspector-Crawler|ConveraCrawler|CRAWL-E|CrawlConvera|Daumoa(?:-feedfetcher|)|Feed Seeker Bot|Feedbin|findlinks|Flamingo_SearchEngine|FollowSite Bot|furlbot|Genieo|gigabot|GomezAgent|gonzo1|(?:[a-zA-Z]{1,30}-|)Googlebot(?:-[a-zA-Z]{1,30}|)|Google SketchUp|grub-client|gsa-crawler|heritrix|HiddenMarket|holmes|HooWWWer|htdig|ia_archiver|ICC-Crawler|Icarus6j|ichiro(?:/mobile|)|IconSurf|IlTrovatore(?:-Setaccio|)|InfuzApp|Innovazion Crawler|InternetArchive|IP2[a-z]{1,30}Bot|jbot\b|KaloogaBot|Kraken|Kurzor|larbin|LEIA|LesnikBot|Linguee Bot|LinkAider|LinkedInBot|Lite Bot|Llaut|lycos|Mail\.RU_Bot|masscan|masidani_bot|Mediapartners-Google|Microsoft .{0,30} Bot|mogimogi|mozDex|MJ12bot|msnbot(?:-media {0,2}|)|msrbot|Mtps Feed Aggregation System|netresearch|Netvibes|NewsGator[^/]{0,30}|^NING|Nutch[^/]{0,30}|Nymesis|ObjectsSearch|OgScrper|Orbiter|OOZBOT|PagePeeker|PagesInventory|PaxleFramework|Peeplo Screenshot Bot|PlantyNet_WebRobot|Pompos|Qwantify|Read%20Later|Reaper|RedCarpet|Retreiver|Riddler|Rival IQ|scooter|Scrapy|Scrubby|searchsight|seekbot|semanticdiscovery|SemrushBot|Simpy|SimplePie|SEOstats|SimpleRSS|SiteCon|Slackbot-LinkExpanding|Slack-ImgProxy|Slurp|snappy|Speedy Spider|Squrl Java|Stringer|TheUsefulbot|ThumbShotsBot|Thumbshots\.ru|Tiny Tiny RSS|Twitterbot|WhatsApp|URL2PNG|Vagabondo|VoilaBot|^vortex|Votay bot|^voyager|WASALive.Bot|Web-sniffer|WebThumb|WeSEE:[A-z]{1,30}|WhatWeb|WIRE|WordPress|Wotbox|www\.almaden\.ibm\.com|Xenu(?:.s|) Link Sleuth|Xerka [A-z]{1,30}Bot|yacy(?:bot|)|YahooSeeker|Yahoo! Slurp|Yandex\w{1,30}|YodaoBot(?:-[A-z]{1,30}|)|YottaaMonitor|Yowedo|^Zao|^Zao-Crawler|ZeBot_www\.ze\.bz|ZooShot|ZyBorg)(?:[ /]v?(\d+)(?:\.(\d+)(?:\.(\d+)|)|)|)",
    r"(?:\/[A-Za-z0-9\.]+|) {0,5}([A-Za-z0-9 \-_\!\[\]:]{0,50}(?:[Aa]rchiver|[Ii]ndexer|[Ss]craper|[Bb]ot|[Ss]pider|[Cc]rawl[a-z]{0,50}))[/ ](\d+)(?:\.(\d+)(?:\.(\d+)|)|)",
    r"(?:\/[A-Za-z0-9\.]+|) {0,5}([A-Za-z0-9 \-_\!\[\]:]{0,50}(?:[Aa]rchiver|[Ii]ndexer|[Ss]craper|[Bb]ot|[Ss]pider|[Cc]rawl[a-z]{0,50})) (\d+)(?:\.(\d+)(?:\.(\d+)|)|)",
    r"((?:[A-z0-9]{1,50}|[A-z\-]{1,50} ?|)(?: the |)(?:[Ss][Pp][Ii][Dd][Ee][Rr]|[Ss]crape|[Cc][Rr][Aa][Ww][Ll])[A-z0-9]{0,50})(?:(?:[ /]| v)(\d+)(?:\.(\d+)|)|)",
];

/// The built-in rules, compiled once per process: one pass over a user agent matches them all.
/// They are ASCII rules, so `\w` and `\b` are ASCII as in PCRE without UTF mode.
static BOT_RULES: LazyLock<RegexSet> = LazyLock::new(|| {
    let ascii: Vec<String> = BOTS.iter().map(|r| format!("(?-u){r}")).collect();
    regex::bytes::RegexSetBuilder::new(ascii)
        .size_limit(64 << 20)
        .build()
        .expect("Kong's bot rules compile")
});

/// What a user agent is found to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Allowed,
    Denied,
    Bot,
    Unknown,
}

/// A bot-detection config, parsed.
#[derive(Debug)]
pub struct BotDetection {
    allow: Vec<Regex>,
    deny: Vec<Regex>,
}

fn regexes(config: &Value, field: &str) -> Result<Vec<Regex>, String> {
    let list = config[field].as_array().map(Vec::as_slice).unwrap_or_default();
    list.iter()
        .filter_map(Value::as_str)
        .map(|r| Regex::new(r).map_err(|e| format!("{field} rule '{r}' is not a regex: {e}")))
        .collect()
}

impl BotDetection {
    fn from_config(config: &Value) -> Result<BotDetection, String> {
        Ok(BotDetection { allow: regexes(config, "allow")?, deny: regexes(config, "deny")? })
    }

    /// Kong's order: an allowed agent passes even if a bot rule or deny rule matches it.
    fn examine(&self, user_agent: &str) -> Verdict {
        let agent = user_agent.trim();
        if self.allow.iter().any(|r| r.is_match(agent)) {
            Verdict::Allowed
        } else if self.deny.iter().any(|r| r.is_match(agent)) {
            Verdict::Denied
        } else if BOT_RULES.is_match(agent.as_bytes()) {
            Verdict::Bot
        } else {
            Verdict::Unknown
        }
    }
}

impl Plugin for BotDetection {
    const NAME: &'static str = "bot-detection";
    const PRIORITY: i32 = 2500;

    fn parse(args: &Parse) -> Result<Self, String> {
        LazyLock::force(&BOT_RULES);
        BotDetection::from_config(args.config)
    }

    fn access(&self, ctx: &mut Context) -> Result<(), Refusal> {
        let mut agents = ctx.req.headers().get_all("user-agent");
        let Some(agent) = agents.next() else { return Ok(()) };
        if agents.next().is_some() {
            return Err(Refusal::new(400, "Only one User-Agent header allowed"));
        }
        match self.examine(&String::from_utf8_lossy(agent)) {
            Verdict::Denied | Verdict::Bot => Err(Refusal::new(403, "Forbidden")),
            Verdict::Allowed | Verdict::Unknown => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn agents_are_judged_allow_first_then_deny_then_kongs_rules() {
        let plugin =
            BotDetection::from_config(&json!({"allow": ["^curl/"], "deny": ["^BadClient"]}))
                .unwrap();
        let browser = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        let cases = [
            (browser, Verdict::Unknown),
            ("Googlebot/2.1 (+http://www.google.com/bot.html)", Verdict::Bot),
            ("Mozilla/5.0 (compatible; bingbot/2.0)", Verdict::Bot),
            ("python-requests/2.31 Python-urllib/3.11", Verdict::Bot),
            ("Go-http-client/1.1", Verdict::Bot),
            ("facebookexternalhit/1.1", Verdict::Bot),
            ("  BadClient/1.0", Verdict::Denied),
            ("curl/8.5.0", Verdict::Allowed),
            ("curl/8.5.0 Googlebot/2.1", Verdict::Allowed),
        ];
        for (agent, want) in cases {
            assert_eq!(plugin.examine(agent), want, "{agent}");
        }
        assert!(BotDetection::from_config(&json!({"deny": ["(open"]})).is_err());
    }
}
