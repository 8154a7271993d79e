//! The deterministic data generator: same spec (and seed), same rows, on every machine.

use super::names::{self, exactly};
use super::{
    CustomerRow, Dataset, DeletedRow, ProjectRow, RecordKind, RelationshipRow, Stage,
    SubsidiaryRow, CUSTOMER_STATUSES, PROJECT_CLOSED,
};
use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// How much data to generate, and from which seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GeneratorSpec {
    /// Customers (companies, individuals and sub-customers), stage Customer.
    pub customers: usize,
    /// Leads and prospects besides them (top-level companies, no projects), ids after every
    /// other record: what an account that runs NetSuite CRM holds in the same `customer` table.
    pub leads_and_prospects: usize,
    /// Projects and sub-projects (down to 4 levels).
    pub projects: usize,
    /// Subsidiaries; from 4 on, the last one is an elimination subsidiary.
    pub subsidiaries: usize,
    /// The seed: same seed, same data.
    pub seed: u64,
}

impl GeneratorSpec {
    /// The demo account: 120 customers, 8 leads and prospects, 300 projects, 5 subsidiaries.
    pub fn demo(seed: u64) -> Self {
        Self {
            customers: 120,
            leads_and_prospects: 8,
            projects: 300,
            subsidiaries: 5,
            seed,
        }
    }

    /// The large account: 50,000 customers, 33,333 leads and prospects (40% of the customer
    /// records), 250,000 projects (about 15% closed), 3 subsidiaries.
    pub fn large(seed: u64) -> Self {
        Self {
            customers: 50_000,
            leads_and_prospects: 33_333,
            projects: 250_000,
            subsidiaries: 3,
            seed,
        }
    }
}

/// The name NetSuite's UI and the demo use to show an injection attempt is escaped.
pub const INJECTION_NAME: &str = "<img src=x onerror=alert(1)>";

struct Gen {
    rng: ChaCha8Rng,
    next_id: i64,
    start: DateTime<Utc>,
    span_s: i64,
    out: Dataset,
    trading: Vec<i64>,
    /// Per customer index: (id, primary subsidiary, all subsidiaries, depth).
    customer_subs: Vec<(i64, i64, Vec<i64>, u8)>,
    /// Stages and statuses come from their own stream, so adding them left every other
    /// generated value as it was.
    side: ChaCha8Rng,
}

pub(super) fn generate(spec: &GeneratorSpec) -> Dataset {
    let start = Utc
        .with_ymd_and_hms(2020, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let end = super::default_clock_start() - Duration::days(1);
    let mut g = Gen {
        rng: ChaCha8Rng::seed_from_u64(spec.seed),
        next_id: 101,
        start,
        span_s: (end - start).num_seconds(),
        out: Dataset::default(),
        trading: Vec::new(),
        customer_subs: Vec::new(),
        side: ChaCha8Rng::seed_from_u64(spec.seed ^ 0x5354_4147_4553),
    };
    g.subsidiaries(spec.subsidiaries.max(1));
    g.out.customers.reserve(spec.customers);
    for i in 0..spec.customers {
        g.customer(i, spec.customers);
    }
    g.projects(spec.projects);
    if spec.customers > 0 && spec.customers <= 1000 {
        g.deleted(3);
    }
    g.leads_and_prospects(spec.leads_and_prospects);
    g.out
}

impl Gen {
    fn times(&mut self) -> (DateTime<Utc>, DateTime<Utc>) {
        let created = self.rng.gen_range(0..self.span_s);
        let modified = self.rng.gen_range(created..=self.span_s);
        (
            self.start + Duration::seconds(created),
            self.start + Duration::seconds(modified),
        )
    }

    fn id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id - 1
    }

    fn subsidiaries(&mut self, n: usize) {
        let names = [
            "Honeycomb Holdings Inc.",
            "Honeycomb US",
            "Honeycomb Europe GmbH",
            "Honeycomb 日本 株式会社",
        ];
        let countries = ["US", "US", "DE", "JP"];
        for i in 0..n {
            let id = i as i64 + 1;
            let elimination = n >= 4 && i == n - 1;
            let name = match (elimination, names.get(i)) {
                (true, _) => "Honeycomb Elimination".to_owned(),
                (false, Some(n)) => (*n).to_owned(),
                (false, None) => format!("Honeycomb Region {id}"),
            };
            let parent = match i {
                0 => None,
                1 | 2 => Some(1),
                _ => Some(if elimination { 1 } else { 2 }),
            };
            let (_, last_modified) = self.times();
            let country = countries.get(i).unwrap_or(&"GB").to_string();
            if !elimination {
                self.trading.push(id);
            }
            let is_inactive = false;
            let row = SubsidiaryRow {
                id,
                name,
                parent,
                is_inactive,
                is_elimination: elimination,
                country,
                last_modified,
            };
            self.out.subsidiaries.push(row);
        }
    }

    fn company_name(&mut self, i: usize) -> String {
        let first = *names::COMPANY_FIRST
            .choose(&mut self.rng)
            .unwrap_or(&"Acme");
        let second = *names::COMPANY_SECOND
            .choose(&mut self.rng)
            .unwrap_or(&"Inc.");
        match i % 97 {
            5 => exactly(&format!("{first} {second} {i}"), 83),
            17 => format!("{first} : {second} {i}"),
            // The same name as an earlier customer: names are not unique in NetSuite.
            // Drawn from a few fixed pairs so that repeats surely happen in any dataset of a few
            // hundred customers or more.
            31 if i > 97 => {
                let k = (i / 97) % 3;
                let first = names::COMPANY_FIRST.get(k).unwrap_or(&"Acme");
                let second = names::COMPANY_SECOND.get(k).unwrap_or(&"Inc.");
                format!("{first} {second}")
            }
            _ => format!("{first} {second} {i}"),
        }
    }

    fn customer(&mut self, i: usize, total: usize) {
        let id = self.id();
        let (date_created, last_modified) = self.times();
        let roll: f64 = self.rng.gen();
        let parent_idx = ((0.12..0.27).contains(&roll) && i > 10).then(|| self.rng.gen_range(0..i));
        let parent_idx = parent_idx
            .filter(|p| self.customer_subs[*p].3 < 3 && !self.out.customers[*p].is_person);
        let injection = i == total / 2 && total >= 20;
        let is_person = roll < 0.12 && parent_idx.is_none() && !injection;
        let mut row = CustomerRow {
            id,
            entity_id: format!("CUS{:06}", i + 1),
            company_name: None,
            is_person,
            first_name: None,
            middle_name: None,
            last_name: None,
            is_inactive: self.rng.gen_bool(0.07),
            parent: parent_idx.map(|p| self.out.customers[p].id),
            subsidiary: None,
            email: None,
            stage: Stage::Customer,
            status: *[13, 13, 13, 15, 16].choose(&mut self.side).unwrap_or(&13),
            date_created,
            last_modified,
        };
        if is_person {
            row.first_name = names::FIRST_NAMES
                .choose(&mut self.rng)
                .map(|s| (*s).to_owned());
            row.middle_name = self.rng.gen_bool(0.3).then(|| "Q.".to_owned());
            row.last_name = names::LAST_NAMES
                .choose(&mut self.rng)
                .map(|s| (*s).to_owned());
        } else if injection {
            row.company_name = Some(INJECTION_NAME.to_owned());
        } else {
            row.company_name = Some(self.company_name(i));
        }
        if self.rng.gen_bool(0.4) {
            row.email = Some(format!("billing{}@example.com", i + 1));
        }
        let depth = parent_idx.map_or(0, |p| self.customer_subs[p].3 + 1);
        let primary = match parent_idx {
            Some(p) if self.rng.gen_bool(0.8) => self.customer_subs[p].1,
            _ => *self.trading.choose(&mut self.rng).unwrap_or(&1),
        };
        row.subsidiary = Some(primary);
        let mut subs = vec![primary];
        if self.trading.len() > 1 && self.rng.gen_bool(0.2) {
            let other = *self.trading.choose(&mut self.rng).unwrap_or(&primary);
            if other != primary {
                subs.push(other);
            }
        }
        for (k, sub) in subs.iter().enumerate() {
            let rel_id = self.out.relationships.len() as i64 + 1;
            let rel = RelationshipRow {
                id: rel_id,
                entity: id,
                subsidiary: *sub,
                is_primary: k == 0,
                last_modified,
            };
            self.out.relationships.push(rel);
        }
        self.customer_subs.push((id, primary, subs, depth));
        self.out.customers.push(row);
    }

    fn projects(&mut self, total: usize) {
        if self.customer_subs.is_empty() {
            return;
        }
        // Projects per level (1 = directly under a customer): (index in out.projects).
        let mut by_level: [Vec<usize>; 4] = Default::default();
        self.out.projects.reserve(total);
        for n in 0..total {
            let roll: f64 = self.rng.gen();
            let level = match roll {
                r if r < 0.55 || by_level[0].is_empty() => 0,
                r if r < 0.80 || by_level[1].is_empty() => 1,
                r if r < 0.93 || by_level[2].is_empty() => 2,
                _ => 3,
            };
            let (parent, subsidiary) = if level == 0 {
                let c = self.rng.gen_range(0..self.customer_subs.len());
                let (cid, primary, subs, _) = &self.customer_subs[c];
                let sub = if self.rng.gen_bool(0.85) {
                    *primary
                } else {
                    *subs.choose(&mut self.rng).unwrap_or(primary)
                };
                (*cid, sub)
            } else {
                let p = *by_level[level - 1].choose(&mut self.rng).unwrap_or(&0);
                let parent = &self.out.projects[p];
                (parent.id, parent.subsidiary.unwrap_or(1))
            };
            let name = self.project_name(n, level);
            let id = self.id();
            let (date_created, last_modified) = self.times();
            let row = ProjectRow {
                id,
                entity_id: format!("PRJ{:07}", n + 1),
                name,
                parent,
                subsidiary: Some(subsidiary),
                is_inactive: self.rng.gen_bool(0.1),
                entity_status: self.project_status(),
                date_created,
                last_modified,
            };
            by_level[level].push(self.out.projects.len());
            self.out.projects.push(row);
        }
    }

    /// About 15% Closed, the rest spread over the other default statuses. The main stream's
    /// draw is kept, so every other value stays as it was.
    fn project_status(&mut self) -> i64 {
        let drawn = self.rng.gen_range(1..=5);
        if self.side.gen_bool(0.15) {
            PROJECT_CLOSED
        } else if drawn == PROJECT_CLOSED {
            self.side.gen_range(2..=5)
        } else {
            drawn
        }
    }

    /// Leads and prospects: top-level companies linked to one trading subsidiary, named by
    /// their stage so that a person trying the demo sees which is which.
    fn leads_and_prospects(&mut self, n: usize) {
        for k in 0..n {
            let id = self.id();
            let stage = if self.side.gen_bool(0.5) {
                Stage::Lead
            } else {
                Stage::Prospect
            };
            let statuses: Vec<i64> = CUSTOMER_STATUSES
                .iter()
                .filter(|s| s.stage == Some(stage))
                .map(|s| s.key)
                .collect();
            let status = *statuses
                .choose(&mut self.side)
                .unwrap_or(&stage.default_status());
            let created = self.side.gen_range(0..self.span_s);
            let modified = self.side.gen_range(created..=self.span_s);
            let word = *names::COMPANY_FIRST
                .choose(&mut self.side)
                .unwrap_or(&"Acme");
            let sub = *self.trading.choose(&mut self.side).unwrap_or(&1);
            let last_modified = self.start + Duration::seconds(modified);
            self.out.customers.push(CustomerRow {
                id,
                entity_id: format!("{}{:06}", stage.text().to_ascii_uppercase(), k + 1),
                company_name: Some(format!("{word} {} {}", stage.text(), k + 1)),
                is_person: false,
                first_name: None,
                middle_name: None,
                last_name: None,
                is_inactive: false,
                parent: None,
                subsidiary: Some(sub),
                email: None,
                stage,
                status,
                date_created: self.start + Duration::seconds(created),
                last_modified,
            });
            let rel_id = self.out.relationships.len() as i64 + 1;
            self.out.relationships.push(RelationshipRow {
                id: rel_id,
                entity: id,
                subsidiary: sub,
                is_primary: true,
                last_modified,
            });
        }
    }

    fn project_name(&mut self, n: usize, level: usize) -> String {
        if level > 0 && self.rng.gen_bool(0.5) {
            return (*names::COMMON_CHILD_NAMES
                .choose(&mut self.rng)
                .unwrap_or(&"Phase 1"))
            .to_owned();
        }
        let word = *names::PROJECT_WORDS
            .choose(&mut self.rng)
            .unwrap_or(&"Project");
        match n % 89 {
            7 => exactly(&format!("{word} {n}"), 256),
            13 => format!("{word} : Stage {n}"),
            _ => format!("{word} {n}"),
        }
    }

    fn deleted(&mut self, n: usize) {
        for k in 0..n {
            let record_id = self.id();
            let (_, deleted) = self.times();
            let kind = if k % 2 == 0 {
                RecordKind::Customer
            } else {
                RecordKind::Project
            };
            let name = format!("Deleted {} {k}", kind.label());
            self.out.deleted.push(DeletedRow {
                record_id,
                kind,
                name,
                deleted,
            });
        }
    }
}
