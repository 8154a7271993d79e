use netsuite_emulator_db::{Dataset, GeneratorSpec, COMPANY_NAME_MAX, PROJECT_NAME_MAX};
use std::collections::{HashMap, HashSet};

#[test]
fn the_same_seed_generates_the_same_data() {
    assert_eq!(Dataset::demo(42), Dataset::demo(42));
    let spec = GeneratorSpec {
        customers: 500,
        leads_and_prospects: 0,
        projects: 2000,
        subsidiaries: 4,
        seed: 9,
    };
    assert_eq!(Dataset::generate(&spec), Dataset::generate(&spec));
}

#[test]
fn another_seed_generates_other_data() {
    assert_ne!(Dataset::demo(1).customers, Dataset::demo(2).customers);
}

#[test]
fn generates_exactly_the_requested_sizes() {
    let spec = GeneratorSpec {
        customers: 321,
        leads_and_prospects: 0,
        projects: 1234,
        subsidiaries: 3,
        seed: 5,
    };
    let d = Dataset::generate(&spec);
    assert_eq!(
        (d.customers.len(), d.projects.len(), d.subsidiaries.len()),
        (321, 1234, 3)
    );
    let large = GeneratorSpec::large(1);
    assert_eq!(
        (large.customers, large.projects, large.subsidiaries),
        (50_000, 250_000, 3)
    );
}

#[test]
fn demo_has_an_elimination_subsidiary_and_a_subsidiary_tree() {
    let d = Dataset::demo(7);
    assert!(d.subsidiaries.iter().any(|s| s.is_elimination));
    assert!(d.subsidiaries.iter().filter(|s| s.parent.is_none()).count() == 1);
    assert!(
        d.subsidiaries
            .iter()
            .any(|s| s.parent.is_some_and(|p| p != 1)),
        "a second level"
    );
}

#[test]
fn customers_have_realistic_shapes() {
    let d = Dataset::generate(&GeneratorSpec {
        customers: 3000,
        leads_and_prospects: 0,
        projects: 0,
        subsidiaries: 4,
        seed: 3,
    });
    let persons: Vec<_> = d.customers.iter().filter(|c| c.is_person).collect();
    assert!(!persons.is_empty());
    assert!(persons
        .iter()
        .all(|p| p.company_name.is_none() && p.first_name.is_some() && p.last_name.is_some()));
    assert!(
        d.customers.iter().any(|c| c.parent.is_some()),
        "sub-customers"
    );
    let inactive = d.customers.iter().filter(|c| c.is_inactive).count();
    assert!(
        inactive > 50 && inactive < 600,
        "an inactive share, got {inactive}"
    );
    let secondary = d.relationships.iter().filter(|r| !r.is_primary).count();
    assert!(secondary > 100, "secondary subsidiaries, got {secondary}");
    let names: Vec<&str> = d
        .customers
        .iter()
        .filter_map(|c| c.company_name.as_deref())
        .collect();
    assert!(names.iter().any(|n| n.chars().count() == COMPANY_NAME_MAX));
    assert!(names.iter().all(|n| n.chars().count() <= COMPANY_NAME_MAX));
    assert!(names.iter().any(|n| n.contains(" : ")));
    assert!(
        names
            .iter()
            .any(|n| n.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))),
        "CJK"
    );
    assert!(
        names
            .iter()
            .any(|n| n.chars().any(|c| ('\u{0590}'..='\u{06ff}').contains(&c))),
        "RTL"
    );
    assert!(
        names.iter().any(|n| n.chars().any(|c| c as u32 >= 0x1F300)),
        "emoji"
    );
    let unique: HashSet<_> = names.iter().collect();
    assert!(unique.len() < names.len(), "some names repeat");
}

#[test]
fn projects_nest_four_levels_under_customers() {
    let d = Dataset::generate(&GeneratorSpec {
        customers: 300,
        leads_and_prospects: 0,
        projects: 3000,
        subsidiaries: 3,
        seed: 11,
    });
    let customers: HashSet<i64> = d.customers.iter().map(|c| c.id).collect();
    let parent: HashMap<i64, i64> = d.projects.iter().map(|p| (p.id, p.parent)).collect();
    let depth = |mut id: i64| {
        let mut n = 0;
        while let Some(p) = parent.get(&id) {
            n += 1;
            id = *p;
        }
        assert!(
            customers.contains(&id),
            "every project chain ends at a customer"
        );
        n
    };
    let max = d.projects.iter().map(|p| depth(p.id)).max().unwrap_or(0);
    assert_eq!(max, 4);
    assert!(d
        .projects
        .iter()
        .any(|p| p.name.chars().count() == PROJECT_NAME_MAX));
    assert!(d
        .projects
        .iter()
        .all(|p| p.name.chars().count() <= PROJECT_NAME_MAX));
    // The same name under different parents.
    let mut by_name: HashMap<&str, HashSet<i64>> = HashMap::new();
    for p in &d.projects {
        by_name.entry(p.name.as_str()).or_default().insert(p.parent);
    }
    assert!(by_name.values().any(|parents| parents.len() > 1));
}

#[test]
fn demo_contains_an_html_injection_name() {
    let d = Dataset::demo(7);
    assert!(d
        .customers
        .iter()
        .any(|c| c.company_name.as_deref() == Some("<img src=x onerror=alert(1)>")));
}

#[test]
fn entity_ids_are_unique_across_customers_and_projects() {
    let d = Dataset::demo(7);
    let ids: Vec<i64> = d
        .customers
        .iter()
        .map(|c| c.id)
        .chain(d.projects.iter().map(|p| p.id))
        .collect();
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
}
