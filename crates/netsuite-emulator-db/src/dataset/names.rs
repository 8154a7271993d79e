//! Word pools for generated names: plain ASCII, accents, CJK, right-to-left scripts, emoji.

pub const COMPANY_FIRST: &[&str] = &[
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Hooli",
    "Vandelay",
    "Soylent",
    "Tyrell",
    "Cyberdyne",
    "Wonka",
    "Gringotts",
    "Monarch",
    "Pied Piper",
    "Dunder Mifflin",
    "Müller",
    "Société Générale d'Études",
    "Ñandú",
    "Øresund",
    "Żubrówka",
    "Crème Brûlée",
    "株式会社サクラ",
    "北京科技",
    "삼성물산",
    "شركة النور",
    "חברת אור",
    "Café ☕",
    "🚀 Rocket",
    "Ελληνική",
    "Российские Сети",
    "O'Brien & Sons",
    "Smith-Jones",
    "Blue Sky",
];

pub const COMPANY_SECOND: &[&str] = &[
    "Industries",
    "Logistics",
    "Holdings",
    "Partners",
    "Consulting",
    "Labs",
    "Foods",
    "Energy",
    "Systems",
    "Trading",
    "Bau",
    "Services",
    "有限公司",
    "GmbH",
    "S.A.",
    "Ltd",
    "Inc.",
    "LLC",
    "& Co.",
    "Group",
    "Analytics",
    "Pharma",
    "للتجارة",
    "בע\"מ",
];

pub const FIRST_NAMES: &[&str] = &[
    "Anna",
    "José",
    "Zoë",
    "Łukasz",
    "Mohammed",
    "محمد",
    "Yuki",
    "美咲",
    "Olivia",
    "Noah",
    "Søren",
    "Chloé",
    "Dmitri",
    "Aoife",
    "Nguyễn",
    "Priya",
    "Björn",
    "Ana-María",
    "Liam",
    "Ωmega",
];

pub const LAST_NAMES: &[&str] = &[
    "Smith",
    "García",
    "Müller",
    "O'Neill",
    "Kowalski",
    "田中",
    "Иванов",
    "Nguyen",
    "Dubois",
    "Rossi",
    "Cohen",
    "כהן",
    "Haddad",
    "حداد",
    "Andersson",
    "Kim",
    "Van der Berg",
    "Ó Súilleabháin",
];

pub const PROJECT_WORDS: &[&str] = &[
    "Implementation",
    "Migration",
    "Rollout",
    "Audit",
    "Redesign",
    "Expansion",
    "Support",
    "Upgrade",
    "Integration",
    "Pilot",
    "Research",
    "Construction",
    "Maintenance",
    "Training",
    "Déploiement",
    "Einführung",
    "導入",
    "プロジェクト",
    "مشروع",
    "פרויקט",
    "🚧 Build-out",
    "Phase",
];

/// Sub-project names that repeat under many parents (the same name under different parents).
pub const COMMON_CHILD_NAMES: &[&str] = &[
    "Phase 1",
    "Phase 2",
    "Phase 3",
    "Design",
    "Build",
    "Testing",
    "Go-live",
    "Hypercare",
];

/// Pads or cuts `base` to exactly `len` characters (not bytes): names at NetSuite's limits.
pub fn exactly(base: &str, len: usize) -> String {
    let filler = " Ωx界";
    let mut out: String = base.chars().take(len).collect();
    let mut fill = filler.chars().cycle();
    while out.chars().count() < len {
        out.push(fill.next().unwrap_or('x'));
    }
    out
}
