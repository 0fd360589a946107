//! Linking figures (printed, not asserted): the time to link one new entry
//! against a store of 10,000, 50,000 and 100,000 entries — median and 90th
//! percentile — to show it stays close to flat as the store grows.
//!
//! Run: `cargo bench --bench linking` (SQLite in a temp dir, no network).

use std::path::Path;
use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use wirebridge::config::Config;
use wirebridge::domain::{Entry, EntryKey, EntryLink, Lang, LangOrigin, LinkRel, Person, SourceId};
use wirebridge::linker::Linker;
use wirebridge::store::Store;

const LANGS: [(&str, &str); 5] = [
    ("wire-en", "en"),
    ("wire-fr", "fr"),
    ("wire-de", "de"),
    ("wire-br", "pt-BR"),
    ("wire-ar", "ar"),
];
const MEASURED: usize = 300;

struct Gen {
    rng: StdRng,
    vocab: Vec<String>,
    names: Vec<String>,
    story: u64,
}

impl Gen {
    fn word(&mut self) -> String {
        let i = self.rng.random_range(0..self.vocab.len());
        self.vocab[i].clone()
    }

    /// One story: the outlet's original and 1–4 translations pointing at it.
    fn story(&mut self) -> Vec<Entry> {
        self.story += 1;
        let n = self.story;
        let published = Utc
            .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
            .single()
            .expect("date")
            + Duration::minutes(n as i64 * 20);
        let name_a = self.names[self.rng.random_range(0..self.names.len())].clone();
        let name_b = self.names[self.rng.random_range(0..self.names.len())].clone();
        let number = self.rng.random_range(100..99_999);
        let original_url = format!("https://harborledger.example/news/{n}-{}", self.word());
        let mut out = Vec::new();
        let versions = self.rng.random_range(1..=4);
        let make = |source: &str, lang: &str, url: String, gen: &mut Gen, links: Vec<EntryLink>| {
            let body: Vec<String> = (0..60).map(|_| gen.word()).collect();
            Entry {
                source: SourceId::parse(source).expect("id"),
                key: EntryKey::from_url(&url),
                guid: None,
                canonical_url: Some(url.clone()),
                url: Some(url),
                language: Lang::parse(lang).expect("lang"),
                language_origin: LangOrigin::Feed,
                title: format!("{} {} {}", gen.word(), name_a, gen.word()),
                summary: None,
                content: Some(format!(
                    "<p>{} {name_a} {number} {} {name_b}.</p>",
                    body[..30].join(" "),
                    body[30..].join(" ")
                )),
                authors: vec![Person {
                    name: name_b.clone(),
                    url: None,
                }],
                translators: Vec::new(),
                categories: vec![gen.word()],
                image: None,
                published: Some(published),
                updated: None,
                links,
            }
        };
        out.push(make("harbor", "en", original_url.clone(), self, Vec::new()));
        for (source, lang) in LANGS.iter().skip(1).take(versions) {
            let url = format!(
                "https://wire.example.org/{}/{n}-{}",
                lang.to_lowercase(),
                self.word()
            );
            let links = vec![EntryLink {
                rel: LinkRel::Original,
                href: original_url.clone(),
                hreflang: None,
                title: None,
            }];
            out.push(make(source, lang, url, self, links));
        }
        out
    }
}

async fn fill(store: &Store, linker: &Linker, gen: &mut Gen, target: i64) {
    loop {
        let have = store.entry_count().await.expect("count");
        if have >= target {
            return;
        }
        let mut batch = Vec::new();
        while batch.len() < 200 {
            batch.extend(gen.story());
        }
        let s = store
            .upsert_entries(&batch, Utc::now())
            .await
            .expect("upsert");
        linker.link_entries(&s.changed_ids).await.expect("link");
    }
}

async fn measure(store: &Store, linker: &Linker, gen: &mut Gen) -> (f64, f64) {
    let mut times = Vec::with_capacity(MEASURED);
    while times.len() < MEASURED {
        for e in gen.story() {
            let s = store
                .upsert_entries(std::slice::from_ref(&e), Utc::now())
                .await
                .expect("upsert");
            let start = Instant::now();
            linker.link_entries(&s.changed_ids).await.expect("link");
            times.push(start.elapsed().as_secs_f64() * 1000.0);
        }
    }
    times.sort_by(|a, b| a.total_cmp(b));
    (times[times.len() / 2], times[times.len() * 9 / 10])
}

async fn run() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = format!("sqlite://{}", dir.path().join("bench.sqlite").display());
    let mut toml = format!(
        "[server]\nbind = \"127.0.0.1:0\"\npublic_url = \"https://wire.example.org\"\n\
         [database]\nurl = \"{db}\"\n[publisher]\nname = \"Bench\"\n\
         languages = [\"en\", \"fr\", \"de\", \"pt-BR\", \"ar\"]\n\
         [[sources]]\nid = \"harbor\"\nname = \"Harbor\"\nrole = \"outlet\"\nurl = \"https://harborledger.example/feed\"\nlanguage = \"en\"\n"
    );
    for (id, lang) in LANGS {
        toml.push_str(&format!(
            "[[sources]]\nid = \"{id}\"\nname = \"{id}\"\nrole = \"publisher\"\n\
             url = \"https://wire.example.org/{id}/feed\"\nlanguage = \"{lang}\"\n"
        ));
    }
    let config = Config::parse(Path::new("bench.toml"), &toml).expect("config");
    let store = Store::open(&db).await.expect("store");
    wirebridge::ingest::poll::register_sources(&store, &config)
        .await
        .expect("sources");
    let linker = Linker::new(store.clone(), &config);
    let mut rng = StdRng::seed_from_u64(42);
    let vocab = (0..8000)
        .map(|_| {
            (0..rng.random_range(3..10))
                .map(|_| rng.random_range(b'a'..=b'z') as char)
                .collect()
        })
        .collect();
    let names = (0..3000)
        .map(|_| {
            let mut n: String = (0..rng.random_range(4..9))
                .map(|_| rng.random_range(b'a'..=b'z') as char)
                .collect();
            n[..1].make_ascii_uppercase();
            n
        })
        .collect();
    let mut gen = Gen {
        rng,
        vocab,
        names,
        story: 0,
    };

    let mut first = None;
    for size in [10_000i64, 50_000, 100_000] {
        let start = Instant::now();
        fill(&store, &linker, &mut gen, size).await;
        let filled = start.elapsed().as_secs_f64();
        let (median, p90) = measure(&store, &linker, &mut gen).await;
        let base = *first.get_or_insert(median);
        println!(
            "store of {size:>6} entries (filled in {filled:.0}s): link one new entry median {median:.2} ms, \
             p90 {p90:.2} ms, {:.2}x the 10k median",
            median / base
        );
    }
}

fn main() {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(run());
}
