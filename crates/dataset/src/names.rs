//! Built-in name lists for generated people and workspaces, and the email local part of a name.
//! A few names carry accents or apostrophes on purpose: member search must handle them.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;

const FIRST: &[&str] = &[
    "Ada", "Adrian", "Aisha", "Alba", "Alex", "Amara", "Anders", "Ana", "Beatriz", "Ben", "Björn", "Camille", "Carlos",
    "Chen", "Chloé", "Dara", "David", "Elena", "Emeka", "Émile", "Emma", "Farah", "Felix", "Fatima", "Gabriel",
    "Grace", "Hana", "Hugo", "Ines", "Isaac", "Ivan", "Jade", "James", "Joao", "José", "Julia", "Kai", "Kenji", "Lara",
    "Leo", "Lena", "Liam", "Lucas", "Maya", "Mei", "Mohammed", "Nadia", "Noah", "Nora", "Olga", "Omar", "Paul",
    "Priya", "Rafael", "Rosa", "Sami", "Sara", "Sofia", "Tariq", "Theo", "Uma", "Victor", "Wei", "Yara", "Yusuf",
    "Zoë",
];

const LAST: &[&str] = &[
    "Abbott",
    "Adeyemi",
    "Alvarez",
    "Andersson",
    "Bauer",
    "Becker",
    "Bianchi",
    "Brown",
    "Castro",
    "Chen",
    "Cohen",
    "Costa",
    "Dubois",
    "Dumont",
    "Evans",
    "Fischer",
    "Fontaine",
    "García",
    "Goldberg",
    "Gomez",
    "Hansen",
    "Hoffmann",
    "Ibrahim",
    "Ivanova",
    "Jensen",
    "Johnson",
    "Kaur",
    "Kim",
    "Kowalski",
    "Larsen",
    "Lee",
    "Lopez",
    "Martin",
    "Moreau",
    "Müller",
    "Nakamura",
    "Nguyen",
    "Novak",
    "O'Brien",
    "Okafor",
    "Olsen",
    "Patel",
    "Pereira",
    "Petrov",
    "Quinn",
    "Rossi",
    "Santos",
    "Schmidt",
    "Silva",
    "Singh",
    "Smith",
    "Søren",
    "Tanaka",
    "Taylor",
    "Thompson",
    "Van Dijk",
    "Wagner",
    "Walker",
    "Wang",
    "Weber",
    "Williams",
    "Yamamoto",
    "Zhang",
    "Zielinski",
];

const DEPARTMENTS: &[&str] = &[
    "Sales",
    "Engineering",
    "Support",
    "Marketing",
    "Finance",
    "Legal",
    "People",
    "Operations",
    "Product",
    "Design",
    "Security",
    "Data",
    "Logistics",
    "Procurement",
    "Compliance",
    "Customer Success",
    "Research",
    "Partnerships",
    "Field Service",
    "Retail",
    "Manufacturing",
    "Quality",
    "Facilities",
    "Communications",
    "Strategy",
];

const PROGRAMS: &[&str] = &[
    "Onboarding",
    "Academy",
    "Bootcamp",
    "Certification",
    "Leadership Track",
    "Essentials",
    "Masterclass",
    "Refresher",
    "Workshop Series",
    "Mentoring",
    "Compliance Training",
    "Skills Lab",
    "Induction",
    "Advanced Course",
    "Fundamentals",
    "Summer School",
    "Clinic",
    "Playbook",
    "Study Group",
    "Residency",
];

/// A random "Firstname Lastname" as (first, last).
pub fn person(rng: &mut StdRng) -> (&'static str, &'static str) {
    (FIRST.choose(rng).copied().unwrap_or("Ada"), LAST.choose(rng).copied().unwrap_or("Smith"))
}

/// The `n`-th workspace name: a department and a programme, numbered once the pairs run out.
pub fn workspace(n: usize) -> String {
    let pairs = DEPARTMENTS.len() * PROGRAMS.len();
    let base = format!("{} {}", DEPARTMENTS[n % DEPARTMENTS.len()], PROGRAMS[(n / DEPARTMENTS.len()) % PROGRAMS.len()]);
    match n / pairs {
        0 => base,
        round => format!("{base} {}", round + 1),
    }
}

/// `first.last.<n>@<domain>`, lowercase ASCII (accents folded, spaces and apostrophes dropped).
pub fn email(first: &str, last: &str, n: usize, domain: &str) -> String {
    format!("{}.{}.{n}@{domain}", local_part(first), local_part(last))
}

fn local_part(name: &str) -> String {
    name.chars()
        .filter_map(|c| match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' | 'Á' | 'Å' => Some('a'),
            'é' | 'è' | 'ê' | 'ë' | 'É' => Some('e'),
            'í' | 'ì' | 'î' | 'ï' => Some('i'),
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'ø' | 'Ø' | 'Ö' => Some('o'),
            'ú' | 'ù' | 'û' | 'ü' | 'Ü' => Some('u'),
            'ñ' => Some('n'),
            'ç' => Some('c'),
            c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lowercase_ascii() {
        assert_eq!(email("Zoë", "O'Brien", 7, "example.test"), "zoe.obrien.7@example.test");
        assert_eq!(email("Émile", "Van Dijk", 12, "example.test"), "emile.vandijk.12@example.test");
        assert_eq!(email("Björn", "Müller", 1, "example.test"), "bjorn.muller.1@example.test");
        for f in FIRST {
            for l in LAST {
                let e = email(f, l, 0, "x.test");
                assert!(e.is_ascii() && e == e.to_lowercase() && !e.starts_with('.'), "{e}");
            }
        }
    }

    #[test]
    fn workspace_names_are_unique() {
        let names: std::collections::HashSet<String> = (0..2_000).map(workspace).collect();
        assert_eq!(names.len(), 2_000);
    }
}
