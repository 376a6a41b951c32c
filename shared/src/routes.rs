//! Every path of the public API with the methods it takes, as the OpenAPI document lists them (a test
//! holds the two together): a method a path does not take is answered `405` with this `Allow`,
//! whichever component serves the path. The privacy desk's pages (`GET /desk...`) are for browsers and
//! stay out of the document, which lists only the desk's form posts.

const ROUTES: &[(&str, &str)] = &[
    ("/api/forms/{form}", "POST, OPTIONS"),
    ("/api/forms/{form}/token", "GET, OPTIONS"),
    ("/api/newsletter", "POST, OPTIONS"),
    ("/api/newsletter/token", "GET, OPTIONS"),
    ("/api/newsletter/confirm/{token}", "GET, POST"),
    ("/api/demo", "POST, OPTIONS"),
    ("/api/demo/token", "GET, OPTIONS"),
    ("/u/{token}", "GET, POST"),
    ("/api/opt-out/phone", "POST, OPTIONS"),
    ("/api/outbox", "GET"),
    ("/api/outbox/deliver", "POST"),
    ("/api/mail/events", "POST"),
    ("/api/consent", "POST, OPTIONS"),
    ("/api/consent/config", "GET, OPTIONS"),
    ("/api/consent/{id}", "GET, OPTIONS"),
    ("/", "GET, HEAD"),
    ("/consent.js", "GET, HEAD"),
    ("/consent.css", "GET, HEAD"),
    ("/thanks.html", "GET, HEAD"),
    ("/site.js", "GET, HEAD"),
    ("/site.css", "GET, HEAD"),
    ("/stand-in-tag.js", "GET, HEAD"),
    ("/api/v1/openapi.json", "GET"),
    ("/health/ready", "GET"),
    ("/health/live", "GET"),
    ("/api/v1/keys", "GET, POST"),
    ("/api/v1/keys/{id}", "DELETE"),
    ("/api/v1/submissions", "GET"),
    ("/api/v1/subscribers", "GET"),
    ("/api/v1/demo-requests", "GET"),
    ("/api/v1/consents", "GET"),
    ("/api/v1/opt-outs", "GET"),
    ("/api/v1/demo-requests/{id}", "GET, PATCH"),
    ("/api/v1/opt-outs/check", "POST"),
    ("/api/privacy/requests", "POST, OPTIONS"),
    ("/api/privacy/requests/token", "GET, OPTIONS"),
    ("/privacy", "GET"),
    ("/privacy/verify/{token}", "GET, POST"),
    ("/privacy/download/{token}", "GET"),
    ("/privacy/object/{token}", "GET, POST"),
    ("/api/v1/contacts", "GET"),
    ("/api/v1/contacts/import", "POST"),
    ("/api/v1/contacts/notices", "GET"),
    ("/api/v1/webhooks", "GET, POST"),
    ("/api/v1/webhooks/{id}", "GET, DELETE"),
    ("/api/v1/webhooks/{id}/secrets", "POST"),
    ("/api/v1/webhooks/{id}/secrets/{secret_id}", "DELETE"),
    ("/api/v1/webhooks/{id}/deliveries", "GET"),
    ("/api/v1/webhooks/{id}/replay", "POST"),
    ("/api/v1/privacy-requests/changes", "GET"),
    ("/api/v1/privacy-requests", "GET"),
    ("/api/v1/privacy-requests/{id}", "GET, PATCH"),
    ("/api/jobs/run", "POST"),
    ("/api/v1/register/checkpoint", "GET"),
    ("/api/v1/register/key", "GET"),
    ("/api/v1/register/tile/{level}/{index}", "GET"),
    ("/desk", "GET"),
    ("/desk/desk.css", "GET"),
    ("/desk/sign-in", "GET, POST"),
    ("/desk/sign-out", "POST"),
    ("/desk/requests/{id}", "GET, POST"),
];

/// Whether `template` is a page of the privacy desk, whose `GET` the OpenAPI document leaves out.
pub fn is_desk(template: &str) -> bool {
    template == "/desk" || template.starts_with("/desk/")
}

/// The methods `path` takes (`GET, PATCH`), when it is a path of the API.
pub fn allowed(path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    ROUTES
        .iter()
        .filter(|(template, _)| fits(template, &segments))
        // A literal segment beats a parameter (`/api/consent/config` over `/api/consent/{id}`).
        .max_by_key(|(template, _)| template.matches('{').count() == 0)
        .map(|(_, methods)| *methods)
}

/// Every path template with its methods.
pub fn all() -> &'static [(&'static str, &'static str)] {
    ROUTES
}

fn fits(template: &str, segments: &[&str]) -> bool {
    let parts: Vec<&str> = template.trim_start_matches('/').split('/').collect();
    parts.len() == segments.len()
        && parts.iter().zip(segments).all(|(part, segment)| {
            if part.starts_with('{') {
                !segment.is_empty()
            } else {
                part == segment
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_is_matched_by_its_most_literal_template() {
        assert_eq!(allowed("/api/consent/config"), Some("GET, OPTIONS"));
        assert_eq!(allowed("/api/consent/abc"), Some("GET, OPTIONS"));
        assert_eq!(allowed("/api/v1/privacy-requests/changes"), Some("GET"));
        assert_eq!(allowed("/api/v1/privacy-requests/x"), Some("GET, PATCH"));
        assert_eq!(allowed("/api/forms/contact/token"), Some("GET, OPTIONS"));
        assert_eq!(allowed("/nowhere"), None);
    }
}
