//! The evidence rules on hand-made pairs: what links, what a hard
//! negative keeps apart, and the keys that let a late version find its
//! story.

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::*;
use crate::domain::{Entry, EntryKey, Image, Lang, LangOrigin, Person, SourceId};
use crate::link::features::Features;

fn at(days: i64, hours: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 18, 7, 0, 0)
        .single()
        .expect("date")
        + Duration::days(days)
        + Duration::hours(hours)
}

struct E {
    lang: &'static str,
    url: &'static str,
    author: &'static str,
    image: Option<&'static str>,
    when: DateTime<Utc>,
    title: &'static str,
    body: &'static str,
}

fn features(e: E) -> Features {
    let entry = Entry {
        source: SourceId::parse("test").expect("id"),
        key: EntryKey::from_url(e.url),
        guid: None,
        url: Some(e.url.to_string()),
        canonical_url: Some(e.url.to_string()),
        language: Lang::parse(e.lang).expect("lang"),
        language_origin: LangOrigin::Feed,
        title: e.title.to_string(),
        summary: None,
        content: Some(e.body.to_string()),
        authors: vec![Person {
            name: e.author.to_string(),
            url: None,
        }],
        translators: Vec::new(),
        categories: Vec::new(),
        image: e.image.map(|u| Image {
            url: u.to_string(),
            alt: None,
            mime: None,
        }),
        published: Some(e.when),
        updated: None,
        links: Vec::new(),
    };
    Features::of(&entry, None)
}

const VOTE_FR: &str = "<p>Réunis lundi devant la forme de Penhoët, les soudeurs des Chantiers \
    de l'Atlantique ont voté à 62 % une grève des heures supplémentaires. À partir du 24 mars, \
    aucun des 1 340 soudeurs ne travaillera le samedi.</p><p>« La majoration n'a pas bougé depuis \
    2019 », explique Gwenaël Tanguy, délégué CFDT. La direction propose 450 euros par \
    trimestre.</p>";
const VOTE_EN: &str = "<p>Meeting on Monday beside the Penhoët dry dock, welders at Chantiers \
    de l'Atlantique voted by 62 per cent to stop working overtime. From 24 March none of the \
    1,340 welders will work on Saturdays.</p><p>“The premium has not moved since 2019,” said \
    Gwenaël Tanguy, a CFDT delegate. Management offers €450 a quarter.</p>";
const DEAL_EN: &str = "<p>Three days after voting to stop working overtime, welders at Chantiers \
    de l'Atlantique reached a deal. The Saturday premium rises from 25 per cent to 40 per cent on \
    1 April.</p><p>Polled beside the Penhoët dock, the 1,340 welders approved it by 71 per cent, \
    said Gwenaël Tanguy of the CFDT.</p>";
const PHOTO: &str = "https://vigie.example/uploads/2025/03/soudeurs-penhoet-1200x675.jpg";
const REHOSTED: &str = "https://wire.example.org/media/2025/03/soudeurs-penhoet.jpg";

fn vote_fr() -> Features {
    features(E {
        lang: "fr",
        url: "https://vigie.example/greve",
        author: "Solène Kerbrat",
        image: Some(PHOTO),
        when: at(0, 0),
        title: "Les soudeurs votent la grève",
        body: VOTE_FR,
    })
}

#[test]
fn a_translation_with_the_same_figures_names_and_a_rehosted_photo_links() {
    let en = features(E {
        lang: "en",
        url: "https://wire.example.org/en/welders-vote",
        author: "Hannah Reeve",
        image: Some(REHOSTED),
        when: at(0, 7),
        title: "Welders vote to stop overtime",
        body: VOTE_EN,
    });
    let ev = evidence(&en, &vote_fr(), &Rarity::none());
    assert_eq!(ev.image, Some(ImageMatch::SameFile));
    assert!(ev.veto.is_none(), "{}", ev.summary());
    assert!(ev.score >= EVIDENCE_THRESHOLD, "{}", ev.summary());
}

#[test]
fn a_follow_up_with_the_same_photo_people_and_author_but_other_figures_does_not() {
    let deal = features(E {
        lang: "en",
        url: "https://wire.example.org/en/welders-deal",
        author: "Solène Kerbrat",
        image: Some(REHOSTED),
        when: at(3, 2),
        title: "Welders call off strike",
        body: DEAL_EN,
    });
    let ev = evidence(&deal, &vote_fr(), &Rarity::none());
    assert_eq!(ev.veto, Some("different figures"), "{}", ev.summary());
    assert_eq!(ev.score, 0.0);
    assert!(ev.unvetoed > 0.0, "photo, names and author did agree");
}

#[test]
fn a_stock_photo_on_the_same_day_does_not_link_unrelated_articles() {
    let stock = Some("https://wire.example.org/media/stock/reach-stacker-yard.jpg");
    let pt = features(E {
        lang: "pt-BR",
        url: "https://wire.example.org/pt-br/itajai",
        author: "Joana Prates",
        image: stock,
        when: at(0, 0),
        title: "Itajaí retoma escalas",
        body: "<p>O porto de Itajaí voltou a receber navios depois de 26 meses de obras; a \
               bacia tem 500 metros e a meta é movimentar 350 mil TEU.</p>",
    });
    let de = features(E {
        lang: "de",
        url: "https://wire.example.org/de/bremerhaven",
        author: "Katrin Vogel",
        image: stock,
        when: at(0, 2),
        title: "Bremerhaven: Autoumschlag bricht ein",
        body: "<p>Der Autoumschlag in Bremerhaven ist um 18 Prozent auf 392.000 Fahrzeuge \
               gesunken; rund 1.200 Beschäftigte fürchten Kurzarbeit.</p>",
    });
    let ev = evidence(&pt, &de, &Rarity::none());
    assert_eq!(ev.image, Some(ImageMatch::SameUrl));
    assert!(ev.score < EVIDENCE_THRESHOLD, "{}", ev.summary());
}

#[test]
fn a_late_arabic_version_with_eastern_digits_and_transliterated_names_links() {
    let es = features(E {
        lang: "es",
        url: "https://kestrel.example/pinguinos",
        author: "Lucía Ferreyra",
        image: Some("https://kestrel.example/img/pinguinos-isla-chanaral.jpg"),
        when: at(0, 0),
        title: "Cae la colonia de pingüinos de isla Chañaral",
        body: "<p>El censo en la isla Chañaral, en la Reserva Nacional Pingüino de Humboldt, \
               contó 1.040 parejas, frente a 1.630 en 2019: una caída del 36 %.</p>",
    });
    let ar = features(E {
        lang: "ar",
        url: "https://wire.example.org/ar/batriq",
        author: "كريم الشامي",
        image: None,
        when: at(22, 0),
        title: "تراجع مستعمرة بطاريق هومبولت في جزيرة تشانيارال",
        body: "<p>أحصى التعداد في جزيرة تشانيارال، داخل المحمية الوطنية لبطريق هومبولت، \
               ١٬٠٤٠ زوجاً مقابل ١٬٦٣٠ في عام ٢٠١٩، أي بتراجع نسبته ٣٦ في المئة.</p>",
    });
    let ev = evidence(&ar, &es, &Rarity::none());
    assert_eq!(ev.figure_agreement, Some(1.0), "{}", ev.summary());
    assert!(
        ev.names.contains(&"humboldt".to_string()),
        "{}",
        ev.summary()
    );
    assert!(ev.score >= EVIDENCE_THRESHOLD, "{}", ev.summary());
    // Three weeks apart, the two still meet through the 30-day keys.
    let (ka, ke) = (ar.keys(), es.keys());
    assert!(
        ke.index.iter().any(|k| ka.weak.contains(k)),
        "the late version finds its original"
    );
    let far = features(E {
        lang: "ar",
        url: "https://wire.example.org/ar/batriq",
        author: "",
        image: None,
        when: at(50, 0),
        title: "",
        body: "<p>١٬٠٤٠ زوجاً مقابل ١٬٦٣٠ في عام ٢٠١٩</p>",
    });
    assert_eq!(
        evidence(&far, &es, &Rarity::none()).veto,
        Some("too far apart in time")
    );
}

#[test]
fn names_shared_by_many_stories_count_less_than_names_of_one() {
    let en = |body: &'static str| {
        features(E {
            lang: "en",
            url: "https://wire.example.org/en/x",
            author: "A",
            image: None,
            when: at(0, 1),
            title: "x",
            body,
        })
    };
    let fr = features(E {
        lang: "fr",
        url: "https://vigie.example/x",
        author: "B",
        image: None,
        when: at(0, 0),
        title: "x",
        body: "<p>Au port de Santos, selon Eduardo Quintela et Valdir Teixeira.</p>",
    });
    let other = en("<p>In the port of Santos, said Mirtha Huamán and Rodrigo Ulloa.</p>");
    // Nine other stories this week are about Santos too.
    let santos = en("<p>More news from the port of Santos today.</p>");
    let rare = Rarity::none();
    let crowded = Rarity::of((1..=9).map(|story| (story, &santos)));
    let a = evidence(&other, &fr, &rare);
    let b = evidence(&other, &fr, &crowded);
    assert_eq!(a.names, vec!["santos".to_string()]);
    assert!(
        b.name_agreement < a.name_agreement,
        "{} / {}",
        a.summary(),
        b.summary()
    );
}

#[test]
fn an_author_in_arabic_script_is_the_same_author() {
    let ar = features(E {
        lang: "ar",
        url: "https://marsad.example/1",
        author: "طارق الزعبي",
        image: None,
        when: at(0, 0),
        title: "ميناء صحار",
        body: "<p>افتتح ميناء صحار رصيفاً بطول 650 متراً.</p>",
    });
    let fr = features(E {
        lang: "fr",
        url: "https://wire.example.org/fr/1",
        author: "Élodie Marchand",
        image: None,
        when: at(0, 4),
        title: "Sohar",
        body: "<p>Un quai de 650 mètres.</p><p>Article de Tarek Al-Zoubi, traduit par Élodie \
               Marchand.</p>",
    });
    assert!(evidence(&fr, &ar, &Rarity::none()).byline);
}
