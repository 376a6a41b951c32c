//! CSV pages: the same records as JSON, inert formula cells, masked IPs, and each collection's header row.

use super::support::{
    capture, capture_with, column, create_key, ids, inert_off, parse_csv, pull, pull_csv, pull_ok,
    spawn,
};
use serde_json::{Value, json};
use shared::time::Timestamp;

/// The submission columns, in their documented order.
const SUBMISSION_HEADER: &str = "id,received_at,form,kind,name,email,company,title,phone,country,\
message,page_url,referrer,utm_source,utm_medium,utm_campaign,utm_term,utm_content,ip,ip_truncated,\
country_code,eu,policy_version,text_hash,consents,gpc,spam,do_not_contact,deleted";

#[tokio::test]
async fn json_ndjson_and_csv_pages_of_the_same_records_agree() {
    let app = spawn().await;
    for n in 0..7 {
        capture(&app, n, Timestamp::now()).await;
    }
    let (_, key) = create_key(&app, &["leads:read"], None).await;
    let json = pull_ok(&app, &key, "?limit=5").await;
    let json_ids = ids(&json);
    assert_eq!(json_ids.len(), 5);

    let ndjson = pull(&app, &key, "?limit=5&format=ndjson").await;
    let ndjson_cursor = ndjson.headers()["next-cursor"].to_str().unwrap().to_owned();
    let ndjson_ids: Vec<String> = ndjson
        .text()
        .await
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();

    let (cursor, _, rows) = pull_csv(&app, &key, "submissions", "?limit=5").await;
    // Ids are URL-safe base64, so one may start with `-`: like any such cell it comes prefixed with `'`.
    let csv_ids: Vec<String> = rows[1..].iter().map(|row| inert_off(&row[0])).collect();
    assert_eq!(ndjson_ids, json_ids);
    assert_eq!(csv_ids, json_ids);
    let cursor = cursor.unwrap();
    assert_eq!(cursor, json["next_cursor"].as_str().unwrap());
    assert_eq!(ndjson_cursor, cursor);
    // The cells are the JSON record's fields.
    for (i, item) in json["items"].as_array().unwrap().iter().enumerate() {
        assert_eq!(column(&rows, i + 1, "email"), item["contact"]["email"]);
        assert_eq!(column(&rows, i + 1, "received_at"), item["received_at"]);
        assert_eq!(column(&rows, i + 1, "consents"), "privacy_policy=true");
        assert_eq!(column(&rows, i + 1, "deleted"), "false");
    }

    // The CSV cursor walks on like the others; `format=csv` is the same as `Accept: text/csv`.
    let rest = pull(&app, &key, &format!("?format=csv&after={cursor}")).await;
    assert!(
        rest.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert_eq!(parse_csv(&rest.text().await.unwrap()).len(), 1 + 2);
}

#[tokio::test]
async fn a_csv_cell_that_starts_like_a_formula_comes_out_inert() {
    let app = spawn().await;
    let id = capture_with(&app, 1, Timestamp::now(), |s| {
        s.contact.message = Some("=HYPERLINK(\"http://x\")".into());
        s.contact.phone = Some("+1 555 0100".into());
        s.contact.company = Some("Acme, \"Inc\"\nEurope".into());
    })
    .await;
    let (_, key) = create_key(&app, &["leads:read"], None).await;
    let (_, text, rows) = pull_csv(&app, &key, "submissions", "").await;
    assert!(
        text.contains(",\"'=HYPERLINK(\"\"http://x\"\")\","),
        "{text}"
    );
    assert!(!text.contains(",=HYPERLINK"), "{text}");
    assert_eq!(inert_off(column(&rows, 1, "id")), id);
    assert_eq!(column(&rows, 1, "message"), "'=HYPERLINK(\"http://x\")");
    assert_eq!(column(&rows, 1, "phone"), "'+1 555 0100");
    assert_eq!(column(&rows, 1, "company"), "Acme, \"Inc\"\nEurope");
}

#[tokio::test]
async fn csv_ips_are_masked_unless_the_key_has_ip_read() {
    let app = spawn().await;
    capture(&app, 1, Timestamp::now()).await;
    let (_, plain) = create_key(&app, &["leads:read"], None).await;
    let (_, full) = create_key(&app, &["leads:read", "ip:read"], None).await;

    let (_, text, rows) = pull_csv(&app, &plain, "submissions", "").await;
    assert_eq!(column(&rows, 1, "ip"), "203.0.113.0");
    assert_eq!(column(&rows, 1, "ip_truncated"), "203.0.113.0");
    assert!(!text.contains("203.0.113.7"), "{text}");
    let (_, _, rows) = pull_csv(&app, &full, "submissions", "").await;
    assert_eq!(column(&rows, 1, "ip"), "203.0.113.7");
}

#[tokio::test]
async fn every_csv_page_has_a_header_row_in_the_documented_column_order() {
    let app = spawn().await;
    let (_, key) = create_key(&app, &["leads:read"], None).await;
    // Even an empty page has its header.
    let (_, text, _) = pull_csv(&app, &key, "submissions", "").await;
    assert_eq!(text, format!("{SUBMISSION_HEADER}\r\n"));

    capture(&app, 1, Timestamp::now()).await;
    let (_, text, rows) = pull_csv(&app, &key, "submissions", "").await;
    assert!(text.starts_with(&format!("{SUBMISSION_HEADER}\r\n")));
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].len(), rows[0].len());
    assert_eq!(column(&rows, 1, "form"), "contact");
    assert_eq!(column(&rows, 1, "name"), "Person 1");

    // Subscribers and demo requests have their own columns, masked alike.
    let signup = json!({
        "email": "ada@example.com", "list_events": true, "consent_policy_version": "2026-01",
        "consent_newsletter": true,
    });
    let demo = json!({
        "name": "Grace Hopper", "email": "grace@navy.mil", "company": "Navy Labs",
        "consent_policy_version": "2026-01", "consent_privacy_policy": true,
    });
    assert_eq!(
        app.post_json("/api/newsletter", &signup).await.status(),
        201
    );
    assert!(
        app.post_json("/api/demo", &demo)
            .await
            .status()
            .is_success()
    );
    let (_, text, rows) = pull_csv(&app, &key, "subscribers", "").await;
    assert_eq!(
        text.split("\r\n").next().unwrap(),
        "id,email,name,lists,status,signed_up_at,confirmed_at,unsubscribed_at,page_url,referrer,\
utm_source,utm_medium,utm_campaign,utm_term,utm_content,ip,ip_truncated,country_code,eu,\
policy_version,text_hash,consents,gpc,spam,deleted"
    );
    assert_eq!(column(&rows, 1, "email"), "ada@example.com");
    assert_eq!(column(&rows, 1, "ip"), "127.0.0.0");
    let (_, text, rows) = pull_csv(&app, &key, "demo-requests", "").await;
    assert_eq!(
        text.split("\r\n").next().unwrap(),
        "id,received_at,status,name,email,company,title,phone,country,message,preferred_time,\
free_mail,page_url,referrer,utm_source,utm_medium,utm_campaign,utm_term,utm_content,ip,\
ip_truncated,country_code,eu,policy_version,text_hash,consents,gpc,spam,do_not_contact,deleted"
    );
    assert_eq!(column(&rows, 1, "company"), "Navy Labs");
    assert_eq!(column(&rows, 1, "status"), "requested");
    assert_eq!(column(&rows, 1, "ip"), "127.0.0.0");
}
