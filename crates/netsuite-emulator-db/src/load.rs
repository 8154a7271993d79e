//! Bulk load of a dataset: one transaction, prepared statements, indexes afterwards.

use crate::time::to_storage;
use crate::{CustomerRow, Dataset, DbError, SchemaOptions};
use rusqlite::{params, Connection};
use std::collections::HashMap;

/// A customer's `altname`: the company name, or the person's names joined by spaces.
pub(crate) fn customer_altname(
    company: Option<&str>,
    first: Option<&str>,
    middle: Option<&str>,
    last: Option<&str>,
    is_person: bool,
) -> String {
    if is_person {
        [first, middle, last]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        company.unwrap_or_default().to_owned()
    }
}

/// `entitytitle`: the entity id and the name, as NetSuite shows auto-numbered entities.
pub(crate) fn entity_title(entity_id: &str, altname: &str) -> String {
    format!("{entity_id} {altname}")
}

fn altname_of(c: &CustomerRow) -> String {
    customer_altname(
        c.company_name.as_deref(),
        c.first_name.as_deref(),
        c.middle_name.as_deref(),
        c.last_name.as_deref(),
        c.is_person,
    )
}

pub(crate) fn load(
    conn: &mut Connection,
    data: &Dataset,
    opts: &SchemaOptions,
) -> Result<(), DbError> {
    let tx = conn.transaction()?;
    if opts.one_world {
        load_subsidiaries(&tx, data)?;
    }
    let mut top: HashMap<i64, i64> =
        HashMap::with_capacity(data.customers.len() + data.projects.len());
    {
        let mut stmt = tx.prepare(
            "INSERT INTO customer (id, entityid, companyname, altname, entitytitle, isperson, firstname,
             middlename, lastname, isinactive, parent, subsidiary, email, searchstage, entitystatus,
             datecreated, lastmodifieddate, toplevelparent)
             VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18)",
        )?;
        for c in &data.customers {
            let root = c.parent.map_or(c.id, |p| *top.get(&p).unwrap_or(&p));
            top.insert(c.id, root);
            let alt = altname_of(c);
            stmt.execute(params![
                c.id,
                c.entity_id,
                c.company_name,
                alt,
                entity_title(&c.entity_id, &alt),
                tf(c.is_person),
                c.first_name,
                c.middle_name,
                c.last_name,
                tf(c.is_inactive),
                c.parent,
                c.subsidiary.filter(|_| opts.one_world),
                c.email,
                c.stage.text(),
                c.status,
                to_storage(c.date_created),
                to_storage(c.last_modified),
                root
            ])?;
        }
    }
    if opts.projects_enabled {
        let mut stmt = tx.prepare(
            "INSERT INTO job (id, entityid, companyname, altname, entitytitle, parent, customer, subsidiary,
             isinactive, entitystatus, datecreated, lastmodifieddate, toplevelparent)
             VALUES (?1,?2,?3,?3,?4,?5,?6,?7,?8,?9,?10,?11,?6)",
        )?;
        for p in &data.projects {
            let root = *top.get(&p.parent).unwrap_or(&p.parent);
            top.insert(p.id, root);
            stmt.execute(params![
                p.id,
                p.entity_id,
                p.name,
                entity_title(&p.entity_id, &p.name),
                p.parent,
                root,
                p.subsidiary.filter(|_| opts.one_world),
                tf(p.is_inactive),
                p.entity_status,
                to_storage(p.date_created),
                to_storage(p.last_modified)
            ])?;
        }
    }
    if opts.one_world {
        let mut stmt = tx.prepare(
            "INSERT INTO customersubsidiaryrelationship (id, entity, subsidiary, isprimarysub, name, lastmodifieddate)
             VALUES (?1, ?2, ?3, ?4, (SELECT entitytitle FROM customer WHERE id = ?2), ?5)",
        )?;
        for r in &data.relationships {
            stmt.execute(params![
                r.id,
                r.entity,
                r.subsidiary,
                tf(r.is_primary),
                to_storage(r.last_modified)
            ])?;
        }
    }
    {
        let mut stmt = tx.prepare(
            "INSERT INTO deletedrecord (recordid, recordtypeid, type, name, deleteddate, context, iscustomlist, iscustomrecord)
             VALUES (?1, ?2, ?3, ?4, ?5, 'UI', 'F', 'F')",
        )?;
        for d in &data.deleted {
            let kind = if d.kind == crate::RecordKind::Project && !opts.projects_enabled {
                continue;
            } else {
                d.kind
            };
            stmt.execute(params![
                d.record_id,
                kind.type_id(),
                kind.label(),
                d.name,
                to_storage(d.deleted)
            ])?;
        }
    }
    tx.execute_batch(crate::schema::INDEXES)?;
    tx.commit()?;
    Ok(())
}

fn load_subsidiaries(tx: &rusqlite::Transaction<'_>, data: &Dataset) -> Result<(), DbError> {
    let names: HashMap<i64, (&str, Option<i64>)> = data
        .subsidiaries
        .iter()
        .map(|s| (s.id, (s.name.as_str(), s.parent)))
        .collect();
    let mut stmt = tx.prepare(
        "INSERT INTO subsidiary (id, name, fullname, parent, isinactive, iselimination, country, lastmodifieddate)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for s in &data.subsidiaries {
        let mut path = vec![s.name.as_str()];
        let mut up = s.parent;
        while let Some((name, parent)) = up.and_then(|p| names.get(&p)).filter(|_| path.len() < 64)
        {
            path.push(*name);
            up = *parent;
        }
        path.reverse();
        stmt.execute(params![
            s.id,
            s.name,
            path.join(" : "),
            s.parent,
            tf(s.is_inactive),
            tf(s.is_elimination),
            s.country,
            to_storage(s.last_modified)
        ])?;
    }
    Ok(())
}

/// The account's status lists, as a new account has them.
pub(crate) fn seed_statuses(conn: &Connection) -> Result<(), DbError> {
    let mut stmt = conn.prepare(
        "INSERT INTO entitystatus (key, name, entitytype, probability, stage) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for s in crate::CUSTOMER_STATUSES {
        let stage = s.stage.map(|st| st.text());
        stmt.execute(params![s.key, s.name, "CUSTOMER", s.probability, stage])?;
    }
    for s in crate::PROJECT_STATUSES {
        stmt.execute(params![s.key, s.name, "JOB", None::<u8>, None::<&str>])?;
    }
    Ok(())
}

/// NetSuite's boolean encoding.
pub(crate) fn tf(b: bool) -> &'static str {
    if b {
        "T"
    } else {
        "F"
    }
}
