//! Feed categories that map across languages: a translation is usually
//! filed under the same section as its original ("Ports", "Portos",
//! "Häfen", "موانئ"). Sections are few and broad — every port story shares
//! "Ports" — so this is a small supporting signal, never enough alone. A
//! fixed table: section names are a closed vocabulary, unlike names.

use std::collections::{BTreeSet, HashMap};

use once_cell::sync::Lazy;

use super::text::fold;

const SECTIONS: &[(&str, &[&str])] = &[
    (
        "ports",
        &[
            "ports",
            "port",
            "portos",
            "puertos",
            "hafen",
            "häfen",
            "موانئ",
            "الموانئ",
            "ميناء",
        ],
    ),
    (
        "shipping",
        &[
            "shipping",
            "transport maritime",
            "schifffahrt",
            "transporte maritimo",
            "navegacao",
            "ملاحة",
        ],
    ),
    (
        "shipbuilding",
        &[
            "shipbuilding",
            "chantiers navals",
            "construction navale",
            "schiffbau",
            "construcao naval",
            "astilleros",
            "بناء السفن",
        ],
    ),
    (
        "labour",
        &[
            "labour", "labor", "social", "arbeit", "trabalho", "trabajo", "travail", "عمل",
        ],
    ),
    (
        "economy",
        &[
            "economy",
            "business",
            "economie",
            "wirtschaft",
            "economia",
            "اقتصاد",
        ],
    ),
    (
        "trade",
        &["trade", "commerce", "comercio", "handel", "تجارة"],
    ),
    ("energy", &["energy", "energie", "energia", "طاقة"]),
    (
        "environment",
        &[
            "environment",
            "environnement",
            "umwelt",
            "medio ambiente",
            "meio ambiente",
            "بيئة",
        ],
    ),
    (
        "science",
        &["science", "sciences", "wissenschaft", "ciencia", "علوم"],
    ),
    (
        "fishing",
        &["fishing", "fisheries", "peche", "fischerei", "pesca", "صيد"],
    ),
    (
        "tourism",
        &["tourism", "tourisme", "tourismus", "turismo", "سياحة"],
    ),
    (
        "transport",
        &["transport", "transporte", "verkehr", "transportes", "نقل"],
    ),
    (
        "logistics",
        &[
            "logistics",
            "logistique",
            "logistik",
            "logistica",
            "لوجستيات",
        ],
    ),
    (
        "data",
        &["data", "donnees", "daten", "dados", "datos", "بيانات"],
    ),
    ("culture", &["culture", "kultur", "cultura", "ثقافة"]),
    (
        "infrastructure",
        &[
            "infrastructure",
            "infrastruktur",
            "infraestrutura",
            "infraestructura",
            "بنية تحتية",
        ],
    ),
    (
        "technology",
        &[
            "technology",
            "technologie",
            "technik",
            "tecnologia",
            "تقنية",
            "تكنولوجيا",
        ],
    ),
    ("coast", &["coast", "littoral", "kuste", "litoral", "ساحل"]),
    (
        "justice",
        &["justice", "justiz", "justica", "justicia", "قضاء"],
    ),
    ("opinion", &["opinion", "meinung", "opiniao", "رأي"]),
    (
        "city",
        &["city", "ville", "stadt", "cidade", "ciudad", "مدينة"],
    ),
];

static BY_LABEL: Lazy<HashMap<String, &'static str>> = Lazy::new(|| {
    SECTIONS
        .iter()
        .flat_map(|(concept, labels)| labels.iter().map(move |l| (fold(l), *concept)))
        .collect()
});

/// The sections an entry's categories name, language-neutral.
pub fn concepts<'a>(categories: impl IntoIterator<Item = &'a String>) -> BTreeSet<&'static str> {
    categories
        .into_iter()
        .filter_map(|c| BY_LABEL.get(&fold(c.trim())).copied())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_names_meet_across_languages() {
        let of =
            |xs: &[&str]| concepts(xs.iter().map(|s| s.to_string()).collect::<Vec<_>>().iter());
        assert_eq!(of(&["Häfen", "Energie"]), of(&["Ports", "Energy"]));
        assert_eq!(of(&["موانئ"]), of(&["Portos"]));
        assert!(of(&["Sport"]).is_empty());
    }
}
