//! Seeded synthetic knowledge bases and questions for the benchmarks (`benches/matcher.rs`,
//! `benches/report.rs`; see BENCHMARKS.md). Included by them with `#[path = "synthetic.rs"] mod synthetic;`.
//!
//! # The generator
//!
//! Deterministic: the same `(entries, seed)` always gives the same knowledge base, on any machine (a
//! SplitMix64 generator, no external crate, no floating-point formatting in the output).
//!
//! Vocabulary: a bilingual migration lexicon of about 330 words per language, each English word paired with its
//! Russian equivalent (and a second, oblique case form where Russian inflects it): 86 nouns (permit,
//! registration, employer, pension...), 46 verbs, 34 adjectives, 26 people (worker, employer's wife...), 44 cities
//! and 24 countries (with Russian genitive and prepositional forms), 9 time words, and numbers (days, years,
//! article numbers). Words are drawn with Zipf-like frequencies (weight 1/rank): the first nouns of each list
//! (permit, registration, work...) are as common in synthetic entries as "kazakhstan" or "permit" are in the real
//! ones (a few tens of percent of variants), the tail is rare.
//!
//! An entry is a *concept*: two nouns, a verb, an adjective, a person, a city, a country and a number, each drawn
//! from its list. Its question variants (8 to 15 per language, uniform) are made from 18 English and 18 Russian
//! templates ("how do i {verb} {adj} {noun1} in {city}?", "я из {country:gen}, можно ли {verb} {noun1:obl} без
//! {noun2:obl}?", keyword queries like "{noun1} {noun2} {country}", first-person stories...), filled with the
//! concept's words; one variant in four swaps one slot for another word of its list (a paraphrase that mentions
//! another city, say). Variants are unique across the whole base after `text::fold` (as `kb check` requires);
//! a variant that collides is drawn again (an entry that has none in a language yet draws, with another word in
//! one slot, until it has one). Each entry has a unique id (`<topic>-<noun1>-<n>`), one of the six
//! topics, a short answer per language, and a valid source (a summary with an https URL on one of a few real
//! official domains, a title and dates). Texts, synonyms and small talk are the real knowledge base's
//! (`knowledge/`), so the matcher sees the real synonym phrases and small-talk phrases.
//!
//! Questions ([`synthetic_questions`]): a seeded mix that mirrors what migrants send:
//! - 50% paraphrases of a variant of a random entry (a word dropped or two swapped, a typo in a long word,
//!   a greeting or "please tell me" in front, case changed): mostly *answered*;
//! - 25% partial or keyword questions, one to three content words of a variant ("permit almaty"), which
//!   several entries share: mostly *suggestions*;
//! - 15% off-topic or off-vocabulary questions (weather, football, recipes, gibberish): *unanswered*;
//! - 10% long messages of several sentences that tell a story and ask at the end (the matcher's focus path).
//!
//! The outcome mix the matcher actually gives is measured and printed by the report, never assumed.
//!
//! # A vocabulary that grows like the real one
//!
//! The lexicon alone gives about 630 distinct terms at any size; a real knowledge base keeps meeting new words as
//! it grows (places, employers, forms, laws, phrasings: Heaps' law). The real base's growth is measured by
//! `report --vocabulary`: its entries added in 20 random orders, its distinct terms grow as about
//! 13.6 x variants^0.65 over its larger half. The default generator ([`VocabularyModel::Growing`]) adds words
//! that follow that curve: each entry draws [`TOPIC_WORDS`] topic words, and each variant names one of them after
//! its first noun ([`TOPIC_PERCENT`] of variants) and a phrasing word of its own after its second noun
//! ([`PHRASING_PERCENT`]), as in "permit kalomin" or "разрешения каломин". The words come from a Pitman-Yor
//! process ([`WordPool`]: discount [`GROWTH_DISCOUNT`], the real base's exponent; concentration
//! [`GROWTH_CONCENTRATION`], set so that the counts land on the real base's curve), so new words keep coming at
//! the rate of real text and word frequencies follow a power law, some words shared by many entries, most by few.
//! Each word is made of syllables, the same in Latin and Cyrillic letters. Measured (`report --vocabulary`):
//! 8,999 terms at 1,000 entries (the curve predicts 9,452), 42,561 at 10,000 (42,297), 195,309 at 100,000
//! (189,448). [`VocabularyModel::Fixed`] (`MIGBOT_BENCH_VOCABULARY=fixed`) is the lexicon only, a stress case
//! where every question word is in thousands of variants.

#![allow(dead_code)]

use migbot::knowledge::{
    self, CheckOptions, Entry, KnowledgeBase, LangBlock, Source, SourceFile, SourceKind,
};
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

/// SplitMix64: tiny, fast, good enough for benchmarks, and stable across versions.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 11) as u128 * n as u128) >> 53) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `percent`/100.
    pub fn percent(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// An index in `0..n` with weight 1/(rank+1): Zipf's law with exponent 1.
    pub fn zipf(&mut self, n: usize) -> usize {
        // Inverse of the continuous CDF ln(1+x)/ln(1+n): close to 1/rank weights, no tables needed.
        let u = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let x = ((1.0 + n as f64).ln() * u).exp() - 1.0;
        (x as usize).min(n - 1)
    }
}

/// A noun: English, Russian nominative, Russian oblique (accusative or genitive) form.
type Noun = (&'static str, &'static str, &'static str);

/// Nouns, most frequent first.
const NOUNS: &[Noun] = &[
    ("permit", "разрешение", "разрешения"),
    ("registration", "регистрация", "регистрацию"),
    ("work", "работа", "работу"),
    ("migration", "миграция", "миграции"),
    ("contract", "договор", "договора"),
    ("passport", "паспорт", "паспорта"),
    ("employer", "работодатель", "работодателя"),
    ("residence", "проживание", "проживания"),
    ("tax", "налог", "налога"),
    ("visa", "виза", "визу"),
    ("salary", "зарплата", "зарплату"),
    ("pension", "пенсия", "пенсию"),
    ("insurance", "страховка", "страховку"),
    ("documents", "документы", "документов"),
    ("card", "карта", "карту"),
    ("certificate", "справка", "справку"),
    ("notification", "уведомление", "уведомления"),
    ("quota", "квота", "квоту"),
    ("diploma", "диплом", "диплома"),
    ("school", "школа", "школу"),
    ("hospital", "больница", "больницу"),
    ("police", "полиция", "полицию"),
    ("fine", "штраф", "штрафа"),
    ("deadline", "срок", "срока"),
    ("address", "адрес", "адреса"),
    ("apartment", "квартира", "квартиру"),
    ("citizenship", "гражданство", "гражданства"),
    ("family", "семья", "семью"),
    ("border", "граница", "границу"),
    ("deportation", "депортация", "депортации"),
    ("application", "заявление", "заявления"),
    ("account", "счет", "счета"),
    ("bank", "банк", "банка"),
    ("payment", "оплата", "оплаты"),
    ("fee", "пошлина", "пошлину"),
    ("receipt", "квитанция", "квитанцию"),
    ("translation", "перевод", "перевода"),
    ("notary", "нотариус", "нотариуса"),
    ("court", "суд", "суда"),
    ("lawyer", "юрист", "юриста"),
    ("consulate", "консульство", "консульства"),
    ("embassy", "посольство", "посольства"),
    ("license", "лицензия", "лицензию"),
    ("car", "машина", "машину"),
    ("customs", "таможня", "таможню"),
    ("ticket", "билет", "билета"),
    ("office", "офис", "офиса"),
    ("form", "бланк", "бланка"),
    ("stamp", "печать", "печати"),
    ("photo", "фотография", "фотографию"),
    ("medicine", "лекарство", "лекарства"),
    ("doctor", "врач", "врача"),
    ("vaccination", "прививка", "прививку"),
    ("kindergarten", "садик", "садика"),
    ("university", "университет", "университета"),
    ("exam", "экзамен", "экзамена"),
    ("language", "язык", "языка"),
    ("benefit", "пособие", "пособия"),
    ("allowance", "выплата", "выплату"),
    ("vacation", "отпуск", "отпуска"),
    ("overtime", "переработка", "переработку"),
    ("dismissal", "увольнение", "увольнения"),
    ("injury", "травма", "травму"),
    ("accident", "авария", "аварию"),
    ("complaint", "жалоба", "жалобу"),
    ("inspection", "проверка", "проверку"),
    ("debt", "долг", "долга"),
    ("loan", "кредит", "кредита"),
    ("rent", "аренда", "аренду"),
    ("landlord", "хозяин", "хозяина"),
    ("hostel", "общежитие", "общежития"),
    ("marriage", "брак", "брака"),
    ("birth", "рождение", "рождения"),
    ("death", "смерть", "смерти"),
    ("inheritance", "наследство", "наследства"),
    ("property", "имущество", "имущества"),
    ("business", "бизнес", "бизнеса"),
    ("entrepreneur", "предприниматель", "предпринимателя"),
    ("patent", "патент", "патента"),
    ("union", "профсоюз", "профсоюза"),
    ("strike", "забастовка", "забастовку"),
    ("trafficking", "торговля", "торговли"),
    ("shelter", "приют", "приюта"),
    ("hotline", "горячая линия", "горячую линию"),
    ("interpreter", "переводчик", "переводчика"),
    ("biometrics", "биометрия", "биометрию"),
];

/// A verb: English base form, Russian infinitive.
type Verb = (&'static str, &'static str);

const VERBS: &[Verb] = &[
    ("get", "получить"),
    ("work", "работать"),
    ("register", "зарегистрировать"),
    ("renew", "продлить"),
    ("pay", "оплатить"),
    ("apply for", "подать на"),
    ("extend", "продлить срок"),
    ("stay", "остаться"),
    ("open", "открыть"),
    ("change", "поменять"),
    ("replace", "заменить"),
    ("lose", "потерять"),
    ("submit", "сдать"),
    ("check", "проверить"),
    ("transfer", "перевести"),
    ("cancel", "отменить"),
    ("restore", "восстановить"),
    ("receive", "забрать"),
    ("sign", "подписать"),
    ("translate", "перевести на русский"),
    ("confirm", "подтвердить"),
    ("appeal", "обжаловать"),
    ("return", "вернуть"),
    ("bring", "привезти"),
    ("send", "отправить"),
    ("find", "найти"),
    ("buy", "купить"),
    ("rent", "снять"),
    ("issue", "оформить"),
    ("prove", "доказать"),
    ("notify", "уведомить"),
    ("report", "сообщить о"),
    ("recover", "вернуть деньги за"),
    ("refuse", "отказаться от"),
    ("avoid", "избежать"),
    ("calculate", "рассчитать"),
    ("withdraw", "снять деньги с"),
    ("insure", "застраховать"),
    ("legalize", "легализовать"),
    ("certify", "заверить"),
    ("enroll in", "записаться в"),
    ("leave", "уехать из"),
    ("enter", "въехать в"),
    ("cross", "пересечь"),
    ("hire", "нанять"),
    ("quit", "уволиться с"),
];

/// An adjective: English, Russian.
type Adj = (&'static str, &'static str);

const ADJS: &[Adj] = &[
    ("temporary", "временное"),
    ("official", "официальную"),
    ("legal", "законную"),
    ("new", "новый"),
    ("permanent", "постоянное"),
    ("medical", "медицинскую"),
    ("foreign", "иностранный"),
    ("free", "бесплатную"),
    ("online", "онлайн"),
    ("electronic", "электронную"),
    ("expired", "просроченный"),
    ("valid", "действующий"),
    ("lost", "утерянный"),
    ("monthly", "ежемесячную"),
    ("annual", "годовой"),
    ("minimum", "минимальную"),
    ("compulsory", "обязательную"),
    ("voluntary", "добровольную"),
    ("seasonal", "сезонную"),
    ("household", "бытовую"),
    ("private", "частную"),
    ("state", "государственную"),
    ("urgent", "срочную"),
    ("notarized", "нотариальную"),
    ("biometric", "биометрический"),
    ("international", "международный"),
    ("local", "местную"),
    ("social", "социальную"),
    ("emergency", "экстренную"),
    ("paid", "платную"),
    ("unpaid", "неоплачиваемый"),
    ("second", "второй"),
    ("duplicate", "повторную"),
    ("original", "оригинальный"),
];

/// A person: English, Russian nominative, Russian genitive.
type Person = (&'static str, &'static str, &'static str);

const PEOPLE: &[Person] = &[
    ("worker", "работник", "работника"),
    ("migrant", "мигрант", "мигранта"),
    ("citizen", "гражданин", "гражданина"),
    ("foreigner", "иностранец", "иностранца"),
    ("wife", "жена", "жены"),
    ("husband", "муж", "мужа"),
    ("child", "ребенок", "ребенка"),
    ("son", "сын", "сына"),
    ("daughter", "дочь", "дочери"),
    ("student", "студент", "студента"),
    ("employee", "сотрудник", "сотрудника"),
    ("builder", "строитель", "строителя"),
    ("driver", "водитель", "водителя"),
    ("nanny", "няня", "няни"),
    ("cook", "повар", "повара"),
    ("cleaner", "уборщица", "уборщицы"),
    ("seller", "продавец", "продавца"),
    ("brother", "брат", "брата"),
    ("sister", "сестра", "сестры"),
    ("mother", "мама", "мамы"),
    ("father", "отец", "отца"),
    ("pensioner", "пенсионер", "пенсионера"),
    ("teacher", "учитель", "учителя"),
    ("nurse", "медсестра", "медсестры"),
    ("welder", "сварщик", "сварщика"),
    ("farmer", "фермер", "фермера"),
];

/// A city: English, Russian.
type City = (&'static str, &'static str);

const CITIES: &[City] = &[
    ("Almaty", "Алматы"),
    ("Astana", "Астане"),
    ("Shymkent", "Шымкенте"),
    ("Karaganda", "Караганде"),
    ("Aktobe", "Актобе"),
    ("Taraz", "Таразе"),
    ("Pavlodar", "Павлодаре"),
    ("Oskemen", "Усть-Каменогорске"),
    ("Semey", "Семее"),
    ("Atyrau", "Атырау"),
    ("Kostanay", "Костанае"),
    ("Kyzylorda", "Кызылорде"),
    ("Oral", "Уральске"),
    ("Petropavl", "Петропавловске"),
    ("Aktau", "Актау"),
    ("Turkistan", "Туркестане"),
    ("Temirtau", "Темиртау"),
    ("Ekibastuz", "Экибастузе"),
    ("Kokshetau", "Кокшетау"),
    ("Taldykorgan", "Талдыкоргане"),
    ("Zhezkazgan", "Жезказгане"),
    ("Balkhash", "Балхаше"),
    ("Rudny", "Рудном"),
    ("Zhanaozen", "Жанаозене"),
    ("Kaskelen", "Каскелене"),
    ("Konaev", "Конаеве"),
    ("Bishkek", "Бишкеке"),
    ("Osh", "Оше"),
    ("Jalal-Abad", "Джалал-Абаде"),
    ("Karakol", "Караколе"),
    ("Tashkent", "Ташкенте"),
    ("Samarkand", "Самарканде"),
    ("Bukhara", "Бухаре"),
    ("Andijan", "Андижане"),
    ("Fergana", "Фергане"),
    ("Namangan", "Намангане"),
    ("Dushanbe", "Душанбе"),
    ("Khujand", "Худжанде"),
    ("Moscow", "Москве"),
    ("Novosibirsk", "Новосибирске"),
    ("Omsk", "Омске"),
    ("Minsk", "Минске"),
    ("Yerevan", "Ереване"),
    ("Gyumri", "Гюмри"),
];

/// A country: English, Russian nominative, genitive, prepositional; English and Russian demonym.
type Country = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const COUNTRIES: &[Country] = &[
    (
        "Kazakhstan",
        "Казахстан",
        "Казахстана",
        "Казахстане",
        "Kazakh",
        "казах",
    ),
    (
        "Kyrgyzstan",
        "Кыргызстан",
        "Кыргызстана",
        "Кыргызстане",
        "Kyrgyz",
        "кыргыз",
    ),
    (
        "Uzbekistan",
        "Узбекистан",
        "Узбекистана",
        "Узбекистане",
        "Uzbek",
        "узбек",
    ),
    (
        "Tajikistan",
        "Таджикистан",
        "Таджикистана",
        "Таджикистане",
        "Tajik",
        "таджик",
    ),
    (
        "Russia",
        "Россия",
        "России",
        "России",
        "Russian",
        "россиянин",
    ),
    (
        "Belarus",
        "Беларусь",
        "Беларуси",
        "Беларуси",
        "Belarusian",
        "белорус",
    ),
    (
        "Armenia",
        "Армения",
        "Армении",
        "Армении",
        "Armenian",
        "армянин",
    ),
    (
        "Azerbaijan",
        "Азербайджан",
        "Азербайджана",
        "Азербайджане",
        "Azerbaijani",
        "азербайджанец",
    ),
    (
        "Turkmenistan",
        "Туркменистан",
        "Туркменистана",
        "Туркменистане",
        "Turkmen",
        "туркмен",
    ),
    ("China", "Китай", "Китая", "Китае", "Chinese", "китаец"),
    ("Turkey", "Турция", "Турции", "Турции", "Turkish", "турок"),
    (
        "Georgia",
        "Грузия",
        "Грузии",
        "Грузии",
        "Georgian",
        "грузин",
    ),
    (
        "Ukraine",
        "Украина",
        "Украины",
        "Украине",
        "Ukrainian",
        "украинец",
    ),
    (
        "Mongolia",
        "Монголия",
        "Монголии",
        "Монголии",
        "Mongolian",
        "монгол",
    ),
    ("India", "Индия", "Индии", "Индии", "Indian", "индиец"),
    (
        "Pakistan",
        "Пакистан",
        "Пакистана",
        "Пакистане",
        "Pakistani",
        "пакистанец",
    ),
    (
        "Afghanistan",
        "Афганистан",
        "Афганистана",
        "Афганистане",
        "Afghan",
        "афганец",
    ),
    (
        "Moldova",
        "Молдова",
        "Молдовы",
        "Молдове",
        "Moldovan",
        "молдаванин",
    ),
    ("Iran", "Иран", "Ирана", "Иране", "Iranian", "иранец"),
    ("Korea", "Корея", "Кореи", "Корее", "Korean", "кореец"),
    (
        "Vietnam",
        "Вьетнам",
        "Вьетнама",
        "Вьетнаме",
        "Vietnamese",
        "вьетнамец",
    ),
    (
        "Bangladesh",
        "Бангладеш",
        "Бангладеш",
        "Бангладеш",
        "Bangladeshi",
        "бангладешец",
    ),
    ("Nepal", "Непал", "Непала", "Непале", "Nepali", "непалец"),
    (
        "Egypt",
        "Египет",
        "Египта",
        "Египте",
        "Egyptian",
        "египтянин",
    ),
];

/// Time words: English, Russian.
const TIMES: &[(&str, &str)] = &[
    ("days", "дней"),
    ("months", "месяцев"),
    ("weeks", "недель"),
    ("years", "лет"),
    ("hours", "часов"),
    ("working days", "рабочих дней"),
    ("calendar days", "календарных дней"),
    ("times", "раз"),
    ("tenge", "тенге"),
];

const NUMBERS: &[&str] = &[
    "3", "5", "7", "10", "15", "30", "60", "90", "180", "365", "1", "2", "6", "12", "14", "20",
    "45", "100", "120", "2014", "2015", "2020", "2024", "2025", "2026", "97", "98", "24", "40",
    "50", "1000", "5000", "10000", "2", "4", "8", "9", "11", "13", "18",
];

/// English templates. Slots: {v} verb, {n1} {n2} nouns, {a} adjective, {p} person, {c} city,
/// {k} country, {kd} demonym, {d} number, {t} time word.
const EN_TEMPLATES: &[&str] = &[
    "how do i {v} {a} {n1} in {c}?",
    "do i need {n1} to {v} {n2} in {c}",
    "I'm from {k}, can I {v} {n1} without {n2}?",
    "{n1} {n2} {k}",
    "{a} {n1} for a {p} from {k}",
    "where can a {p} {v} {n1} in {c}?",
    "is {d} {t} enough to {v} {n1}?",
    "what {n2} are needed for {a} {n1} in {c}",
    "my {p} wants to {v} {n1}, what {n2} do we need?",
    "can a {kd} {p} {v} {n1} and {n2} in {k}",
    "{v} {n1} {c} {d} {t}",
    "is it legal to {v} {n1} without {a} {n2}?",
    "who pays for {n1} if the {p} has no {n2}",
    "how much does {a} {n1} cost in {c}?",
    "what happens if i don't {v} {n1} within {d} {t}",
    "I came from {k} to {c} {d} {t} ago, do I have to {v} {n1}?",
    "{kd} {p} {n1} {n2} rules",
    "how long does it take to {v} {n1} for a {p}",
];

/// Russian templates. Extra slots: {n1o} {n2o} oblique nouns, {pg} person genitive, {kg} country genitive,
/// {kp} country prepositional.
const RU_TEMPLATES: &[&str] = &[
    "как {v} {a} {n1o} в {c}?",
    "нужно ли {n1} чтобы {v} {n2o} в {c}",
    "я из {kg}, можно ли {v} {n1o} без {n2o}?",
    "{n1} {n2} {k}",
    "{a} {n1} для {pg} из {kg}",
    "где {p} может {v} {n1o} в {c}?",
    "хватит ли {d} {t} чтобы {v} {n1o}?",
    "какие {n2} нужны для {n1o} в {c}",
    "мой {p} хочет {v} {n1o}, что нужно?",
    "может ли {kd} {v} {n1o} и {n2o} в {kp}",
    "{v} {n1o} {c} {d} {t}",
    "законно ли {v} {n1o} без {n2o}?",
    "кто платит за {n1o} если у {pg} нет {n2o}",
    "сколько стоит {a} {n1} в {c}?",
    "что будет если не {v} {n1o} за {d} {t}",
    "приехал из {kg} в {c} {d} {t} назад, надо ли {v} {n1o}?",
    "{kd} {p} {n1} {n2} правила",
    "сколько времени {v} {n1o} для {pg}",
];

/// Off-topic words for unanswered questions.
const OFF_EN: &[&str] = &[
    "weather",
    "football",
    "recipe",
    "guitar",
    "cinema",
    "pizza",
    "dinosaur",
    "birthday",
    "horoscope",
    "volcano",
    "chess",
    "karaoke",
    "galaxy",
    "penguin",
    "lottery",
    "tomorrow",
    "match",
    "score",
    "song",
    "lyrics",
    "joke",
    "funny",
    "cat",
    "video",
    "game",
    "download",
    "movie",
    "best",
];
const OFF_RU: &[&str] = &[
    "погода",
    "футбол",
    "рецепт",
    "гитара",
    "кино",
    "пицца",
    "динозавр",
    "гороскоп",
    "вулкан",
    "шахматы",
    "караоке",
    "галактика",
    "пингвин",
    "лотерея",
    "завтра",
    "матч",
    "счет игры",
    "песня",
    "анекдот",
    "смешной",
    "котик",
    "видео",
    "игра",
    "скачать",
    "фильм",
    "борщ",
    "плов",
    "свадьба",
];

const GREETINGS_EN: &[&str] = &[
    "hello, ",
    "hi! ",
    "please tell me ",
    "good day. ",
    "excuse me, ",
];
const GREETINGS_RU: &[&str] = &[
    "здравствуйте, ",
    "подскажите, ",
    "скажите пожалуйста ",
    "добрый день! ",
    "помогите, ",
];
const STORY_EN: &[&str] = &[
    "I came to work here last spring.",
    "My employer is a construction company.",
    "I live with my cousin and his family.",
    "Nobody at the office could explain it to me.",
    "We have been here since March.",
];
const STORY_RU: &[&str] = &[
    "Я приехал весной на стройку.",
    "Работаю у одного хозяина уже полгода.",
    "Живу у родственников с семьей.",
    "В офисе мне ничего не объяснили.",
    "Мы здесь с марта.",
];

const DOMAINS: &[&str] = &[
    "https://adilet.zan.kz/rus/docs/Z1100000477",
    "https://www.gov.kz/memleket/entities/enbek",
    "https://egov.kz/cms/ru/articles/migration",
    "https://kazakhstan.iom.int/",
    "https://eec.eaeunion.org/",
];

/// The concept behind one entry: an index into each word list.
#[derive(Clone, Copy, Debug)]
struct Concept {
    n1: usize,
    n2: usize,
    v: usize,
    a: usize,
    p: usize,
    c: usize,
    k: usize,
    d: usize,
    t: usize,
}

impl Concept {
    fn draw(rng: &mut Rng) -> Concept {
        let n1 = rng.zipf(NOUNS.len());
        let mut n2 = rng.zipf(NOUNS.len());
        if n2 == n1 {
            n2 = (n1 + 1 + rng.below(NOUNS.len() - 1)) % NOUNS.len();
        }
        Concept {
            n1,
            n2,
            v: rng.zipf(VERBS.len()),
            a: rng.zipf(ADJS.len()),
            p: rng.zipf(PEOPLE.len()),
            c: rng.zipf(CITIES.len()),
            k: rng.zipf(COUNTRIES.len()),
            d: rng.below(NUMBERS.len()),
            t: rng.zipf(TIMES.len()),
        }
    }

    /// The same concept with one slot swapped for another word (a paraphrase that mentions something else).
    fn nudged(mut self, rng: &mut Rng) -> Concept {
        match rng.below(4) {
            0 => self.c = rng.zipf(CITIES.len()),
            1 => self.k = rng.zipf(COUNTRIES.len()),
            2 => self.p = rng.zipf(PEOPLE.len()),
            _ => self.a = rng.zipf(ADJS.len()),
        }
        self
    }

    /// The template filled with the concept's words; `extra` names the growing vocabulary's words this variant
    /// uses (`Extra`).
    fn fill(&self, template: &str, ru: bool, extra: &Extra) -> String {
        let (n1, n2) = (NOUNS[self.n1], NOUNS[self.n2]);
        // A noun phrase with a word of the growing vocabulary after the noun ("permit kalomin").
        let phrase = |noun: &str, word: Option<usize>| match word {
            Some(w) => {
                let (en, ru_word) = pseudo_word(w);
                format!("{noun} {}", if ru { ru_word } else { en })
            }
            None => noun.to_string(),
        };
        let (n1, n1o) = if ru {
            (phrase(n1.1, extra.topic), phrase(n1.2, extra.topic))
        } else {
            let p = phrase(n1.0, extra.topic);
            (p.clone(), p)
        };
        let (n2, n2o) = if ru {
            (phrase(n2.1, extra.phrasing), phrase(n2.2, extra.phrasing))
        } else {
            let p = phrase(n2.0, extra.phrasing);
            (p.clone(), p)
        };
        let k = COUNTRIES[self.k];
        let p = PEOPLE[self.p];
        let slots: [(&str, &str); 15] = if ru {
            [
                ("{n1o}", &n1o),
                ("{n2o}", &n2o),
                ("{n1}", &n1),
                ("{n2}", &n2),
                ("{v}", VERBS[self.v].1),
                ("{a}", ADJS[self.a].1),
                ("{pg}", p.2),
                ("{p}", p.1),
                ("{c}", CITIES[self.c].1),
                ("{kg}", k.2),
                ("{kp}", k.3),
                ("{kd}", k.5),
                ("{k}", k.1),
                ("{d}", NUMBERS[self.d]),
                ("{t}", TIMES[self.t].1),
            ]
        } else {
            [
                ("{n1o}", &n1o),
                ("{n2o}", &n2o),
                ("{n1}", &n1),
                ("{n2}", &n2),
                ("{v}", VERBS[self.v].0),
                ("{a}", ADJS[self.a].0),
                ("{pg}", p.0),
                ("{p}", p.0),
                ("{c}", CITIES[self.c].0),
                ("{kg}", k.0),
                ("{kp}", k.0),
                ("{kd}", k.4),
                ("{k}", k.0),
                ("{d}", NUMBERS[self.d]),
                ("{t}", TIMES[self.t].0),
            ]
        };
        let mut out = template.to_string();
        for (slot, word) in slots {
            out = out.replace(slot, word);
        }
        out
    }
}

/// The words of the growing vocabulary one variant uses.
#[derive(Clone, Copy, Debug, Default)]
struct Extra {
    /// One of the entry's topic words, after the first noun.
    topic: Option<usize>,
    /// A phrasing word of this variant only, after the second noun.
    phrasing: Option<usize>,
}

/// Which vocabulary a synthetic base draws from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VocabularyModel {
    /// The lexicon plus a growing vocabulary calibrated on the real knowledge base (the default; see the module
    /// documentation).
    Growing,
    /// The lexicon only: about 630 distinct terms at any size, so that every question word is in thousands of
    /// variants of a large base (a stress case, the generator of earlier rounds).
    Fixed,
}

/// The growing vocabulary's discount (Pitman-Yor `d`): the number of distinct words grows as (words drawn)^d,
/// Heaps' law. Set to the exponent of the real knowledge base's growth over its larger half (`--vocabulary`).
const GROWTH_DISCOUNT: f64 = 0.65;
/// The growing vocabulary's concentration (Pitman-Yor `theta`): with the draws per variant below, it sets the
/// number of distinct terms at 1,000 entries near the real base's fit (`--vocabulary`).
const GROWTH_CONCENTRATION: f64 = 600.0;
/// Topic words per entry (drawn once per entry, used by most of its variants).
const TOPIC_WORDS: usize = 2;
/// Share of variants (percent) that name one of their entry's topic words...
const TOPIC_PERCENT: usize = 80;
/// ...and that add a phrasing word of their own.
const PHRASING_PERCENT: usize = 100;

/// A Pitman-Yor process over word numbers: each draw is a new word with probability (theta + d K) / (theta + n)
/// (K words so far, n draws), else an old word w with probability proportional to (count(w) - d). The number of
/// distinct words grows as n^d, and their frequencies follow a power law, as in real text.
struct WordPool {
    counts: Vec<u32>,
    draws: Vec<u32>,
    discount: f64,
    concentration: f64,
}

impl WordPool {
    fn new(discount: f64, concentration: f64) -> WordPool {
        WordPool {
            counts: Vec::new(),
            draws: Vec::new(),
            discount,
            concentration,
        }
    }

    fn draw(&mut self, rng: &mut Rng) -> usize {
        let (k, n) = (self.counts.len() as f64, self.draws.len() as f64);
        let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let w = if u * (self.concentration + n) < self.concentration + self.discount * k {
            self.counts.push(0);
            self.counts.len() - 1
        } else {
            // An old word in proportion to its count (a uniform earlier draw), kept with probability
            // (count - d) / count: in proportion to count - d.
            loop {
                let w = self.draws[rng.below(self.draws.len())] as usize;
                let c = f64::from(self.counts[w]);
                let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                if u * c < c - self.discount {
                    break w;
                }
            }
        };
        self.counts[w] += 1;
        self.draws.push(w as u32);
        w
    }
}

/// Syllables of the growing vocabulary's words, Latin and Cyrillic.
const SYLLABLES: &[(&str, &str)] = &[
    ("ka", "ка"),
    ("lo", "ло"),
    ("mi", "ми"),
    ("ta", "та"),
    ("re", "ре"),
    ("nu", "ну"),
    ("so", "со"),
    ("vi", "ви"),
    ("da", "да"),
    ("ku", "ку"),
    ("ze", "зе"),
    ("po", "по"),
    ("ri", "ри"),
    ("ga", "га"),
    ("be", "бе"),
    ("tu", "ту"),
];

/// Word `i` of the growing vocabulary, in English and Russian: three or more syllables and a final `n`
/// ("kalomin", "каломин"), like the names of places, employers and forms that a large base mentions.
fn pseudo_word(i: usize) -> (String, String) {
    let (mut en, mut ru) = (String::new(), String::new());
    let mut x = i + SYLLABLES.len() * SYLLABLES.len();
    while x > 0 {
        let (l, c) = SYLLABLES[x % SYLLABLES.len()];
        en.push_str(l);
        ru.push_str(c);
        x /= SYLLABLES.len();
    }
    en.push('n');
    ru.push('н');
    (en, ru)
}

/// A seeded synthetic knowledge base of `entries` entries, with the real texts, synonyms and small talk, over
/// the growing vocabulary.
pub fn synthetic_kb(entries: usize, seed: u64) -> KnowledgeBase {
    synthetic_kb_with(entries, seed, VocabularyModel::Growing)
}

/// The vocabulary the benchmarks generate with: `MIGBOT_BENCH_VOCABULARY=fixed` selects
/// [`VocabularyModel::Fixed`] (inherited by the report's child processes), anything else the growing one.
pub fn bench_vocabulary() -> VocabularyModel {
    match std::env::var("MIGBOT_BENCH_VOCABULARY").as_deref() {
        Ok("fixed") => VocabularyModel::Fixed,
        _ => VocabularyModel::Growing,
    }
}

/// The synthetic base the benchmarks use: [`synthetic_kb_with`] over [`bench_vocabulary`].
pub fn bench_kb(entries: usize, seed: u64) -> KnowledgeBase {
    synthetic_kb_with(entries, seed, bench_vocabulary())
}

/// [`synthetic_kb`] over the given vocabulary.
pub fn synthetic_kb_with(entries: usize, seed: u64, model: VocabularyModel) -> KnowledgeBase {
    let real = real_kb();
    let mut rng = Rng::new(seed);
    let mut words_rng = Rng::new(seed ^ 0x0057_0ADD);
    let mut pool = WordPool::new(GROWTH_DISCOUNT, GROWTH_CONCENTRATION);
    let mut seen: HashSet<String> = HashSet::new();
    let mut out = Vec::with_capacity(entries);
    for i in 0..entries {
        let concept = Concept::draw(&mut rng);
        let topics: Vec<usize> = match model {
            VocabularyModel::Growing => (0..TOPIC_WORDS)
                .map(|_| pool.draw(&mut words_rng))
                .collect(),
            VocabularyModel::Fixed => Vec::new(),
        };
        let topic = migbot::knowledge::TOPICS[rng.below(migbot::knowledge::TOPICS.len())];
        let id = format!(
            "{topic}-{}-{i}",
            NOUNS[concept.n1].0.replace(' ', "-").to_lowercase()
        );
        let mut block = |ru: bool, rng: &mut Rng| {
            let want = rng.range(8, 15);
            let templates = if ru { RU_TEMPLATES } else { EN_TEMPLATES };
            let mut questions = Vec::with_capacity(want);
            let mut tries = 0;
            // At 100,000 entries every variant of a concept may already be taken: an entry left without
            // variants in a language keeps drawing, with another word in one slot, until it has one.
            while questions.len() < want && (tries < want * 8 || questions.is_empty()) {
                tries += 1;
                let c = if rng.percent(25) || tries > want * 8 {
                    concept.nudged(rng)
                } else {
                    concept
                };
                let mut extra = Extra::default();
                if !topics.is_empty() {
                    if words_rng.percent(TOPIC_PERCENT) {
                        extra.topic = Some(*words_rng.pick(&topics));
                    }
                    if words_rng.percent(PHRASING_PERCENT) {
                        extra.phrasing = Some(pool.draw(&mut words_rng));
                    }
                }
                let q = c.fill(rng.pick::<&str>(templates), ru, &extra);
                if seen.insert(migbot::text::fold(&q)) {
                    questions.push(q);
                }
            }
            questions
        };
        let en_q = block(false, &mut rng);
        let ru_q = block(true, &mut rng);
        let (n1, n2) = (NOUNS[concept.n1], NOUNS[concept.n2]);
        let city = CITIES[concept.c];
        let en = LangBlock {
            questions: en_q,
            answer: format!(
                "Yes. A {} can {} a {} in {} with a valid {}. Apply at the migration office; it takes up to {} {}.",
                PEOPLE[concept.p].0, VERBS[concept.v].0, n1.0, city.0, n2.0, NUMBERS[concept.d], TIMES[concept.t].0
            ),
            caution: None,
        };
        let ru = LangBlock {
            questions: ru_q,
            answer: format!(
                "Да. {} может {} {} в {} при наличии документа: {}. Обратитесь в миграционную службу; срок до {} {}.",
                PEOPLE[concept.p].1, VERBS[concept.v].1, n1.2, city.1, n2.1, NUMBERS[concept.d], TIMES[concept.t].1
            ),
            caution: None,
        };
        let url = format!("{}#synthetic-{i}", rng.pick(DOMAINS));
        out.push(Entry {
            id,
            topic: topic.to_string(),
            facts: vec![format!("{}", 1 + rng.below(90))],
            related: Vec::new(),
            tags: Vec::new(),
            en,
            ru,
            kk: None,
            ky: None,
            uz: None,
            tg: None,
            source: Source {
                kind: SourceKind::Summary,
                statement: format!(
                    "Rule on the {} of a {} for foreign workers (synthetic entry {i}).",
                    n1.0, n2.0
                ),
                statement_ru: None,
                speaker: None,
                role: None,
                title: "Synthetic benchmark source".to_string(),
                url,
                date: Some("2024-01-15".to_string()),
                last_verified: "2026-11-29".to_string(),
            },
        });
    }
    // The order the parser and the database give: by id.
    out.sort_by(|a, b| a.id.cmp(&b.id));
    KnowledgeBase {
        entries: out,
        texts: real.texts,
        synonyms: real.synonyms,
        smalltalk: real.smalltalk,
        gaps: real.gaps,
    }
}

/// What a synthetic question was made to be (the matcher decides what it is).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Intent {
    Paraphrase,
    Partial,
    OffTopic,
    Story,
}

/// `n` seeded questions over `kb` (see the module documentation for the mix).
pub fn synthetic_questions(kb: &KnowledgeBase, n: usize, seed: u64) -> Vec<String> {
    synthetic_questions_with_intent(kb, n, seed)
        .into_iter()
        .map(|(q, _)| q)
        .collect()
}

/// [`synthetic_questions`] with what each was made to be.
pub fn synthetic_questions_with_intent(
    kb: &KnowledgeBase,
    n: usize,
    seed: u64,
) -> Vec<(String, Intent)> {
    synthetic_questions_labelled(kb, n, seed)
        .into_iter()
        .map(|(q, i, _)| (q, i))
        .collect()
}

/// [`synthetic_questions_with_intent`] with the id of the entry each question was made from (an off-topic
/// question names the entry drawn for it too, though it uses none of its words).
pub fn synthetic_questions_labelled(
    kb: &KnowledgeBase,
    n: usize,
    seed: u64,
) -> Vec<(String, Intent, String)> {
    let mut rng = Rng::new(seed ^ 0xA5A5_5A5A);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let roll = rng.below(100);
        let ru = rng.percent(50);
        let entry = &kb.entries[rng.below(kb.entries.len())];
        let block = if ru { &entry.ru } else { &entry.en };
        let variant = if block.questions.is_empty() {
            entry.id.clone()
        } else {
            rng.pick(&block.questions).clone()
        };
        let q = if roll < 50 {
            (paraphrase(&variant, ru, &mut rng), Intent::Paraphrase)
        } else if roll < 75 {
            (partial(&variant, &mut rng), Intent::Partial)
        } else if roll < 90 {
            (off_topic(ru, &mut rng), Intent::OffTopic)
        } else {
            let story = if ru { STORY_RU } else { STORY_EN };
            let mut s = String::new();
            for _ in 0..rng.range(1, 3) {
                s.push_str(rng.pick::<&str>(story));
                s.push(' ');
            }
            s.push_str(variant.trim_end_matches('?'));
            s.push('?');
            (s, Intent::Story)
        };
        out.push((q.0, q.1, entry.id.clone()));
    }
    out
}

fn paraphrase(variant: &str, ru: bool, rng: &mut Rng) -> String {
    let mut words: Vec<String> = variant.split_whitespace().map(str::to_string).collect();
    if words.len() > 3 && rng.percent(40) {
        words.remove(rng.below(words.len()));
    }
    if words.len() > 2 && rng.percent(30) {
        let i = rng.below(words.len() - 1);
        words.swap(i, i + 1);
    }
    if rng.percent(35) {
        // A typo: two neighbouring letters swapped in a long word.
        let long: Vec<usize> = (0..words.len())
            .filter(|&i| words[i].chars().count() >= 6)
            .collect();
        if !long.is_empty() {
            let w = &mut words[*rng.pick(&long)];
            let mut chars: Vec<char> = w.chars().collect();
            let i = 1 + rng.below(chars.len() - 3);
            chars.swap(i, i + 1);
            *w = chars.into_iter().collect();
        }
    }
    let mut q = words.join(" ");
    if rng.percent(25) {
        q = format!(
            "{}{q}",
            rng.pick(if ru { GREETINGS_RU } else { GREETINGS_EN })
        );
    }
    if rng.percent(30) {
        q = q.to_lowercase();
    }
    q
}

fn partial(variant: &str, rng: &mut Rng) -> String {
    let content: Vec<&str> = variant
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .filter(|w| w.chars().count() >= 5)
        .collect();
    if content.is_empty() {
        return variant.to_string();
    }
    let k = rng.range(1, 3.min(content.len()));
    let mut words = Vec::with_capacity(k);
    for _ in 0..k {
        words.push(*rng.pick(&content));
    }
    words.dedup();
    words.join(" ").to_lowercase()
}

fn off_topic(ru: bool, rng: &mut Rng) -> String {
    let words = if ru { OFF_RU } else { OFF_EN };
    let mut q: Vec<String> = (0..rng.range(2, 5))
        .map(|_| rng.pick(words).to_string())
        .collect();
    if rng.percent(30) {
        // Gibberish: letters no vocabulary has.
        let letters: Vec<char> = "qwxzjvkyp".chars().collect();
        q.push((0..rng.range(5, 9)).map(|_| *rng.pick(&letters)).collect());
    }
    q.join(" ") + "?"
}

/// Distinct terms the matcher's index has for `kb`'s entries, without those the synonyms alone bring.
pub fn entry_terms(kb: &KnowledgeBase) -> usize {
    migbot::matcher::Matcher::new(kb).term_count() - synonym_terms(kb)
}

/// Distinct terms the synonyms of `kb` alone bring to an index.
pub fn synonym_terms(kb: &KnowledgeBase) -> usize {
    migbot::matcher::Matcher::new(&with_entries(kb, Vec::new())).term_count()
}

/// `kb`'s texts, synonyms, small talk and gaps with other entries (without cloning `kb`'s own entries).
fn with_entries(kb: &KnowledgeBase, entries: Vec<Entry>) -> KnowledgeBase {
    KnowledgeBase {
        entries,
        texts: kb.texts.clone(),
        synonyms: kb.synonyms.clone(),
        smalltalk: kb.smalltalk.clone(),
        gaps: kb.gaps.clone(),
    }
}

/// Vocabulary growth (Heaps' law) of a knowledge base: its entries are added in `orders` seeded random orders,
/// and after each prefix the question variants and the distinct terms are counted (`entry_terms`). Returns
/// `(variants, mean distinct terms)` per prefix length, and the least-squares fit `terms = k * variants^beta`
/// over the log-log points of the prefixes of at least half the entries, as `(k, beta)`.
pub fn vocabulary_growth(kb: &KnowledgeBase, orders: u64) -> (Vec<(f64, f64)>, (f64, f64)) {
    let n = kb.entries.len();
    let mut sums = vec![(0.0, 0.0); n];
    let synonyms = synonym_terms(kb);
    for seed in 0..orders {
        let mut rng = Rng::new(seed);
        let mut entries = kb.entries.clone();
        for i in (1..entries.len()).rev() {
            entries.swap(i, rng.below(i + 1));
        }
        for k in 1..=n {
            let sub = with_entries(kb, entries[..k].to_vec());
            let variants: usize = sub.entries.iter().map(|e| e.questions().count()).sum();
            sums[k - 1].0 += variants as f64;
            sums[k - 1].1 += (migbot::matcher::Matcher::new(&sub).term_count() - synonyms) as f64;
        }
    }
    let points: Vec<(f64, f64)> = sums
        .iter()
        .map(|&(v, t)| (v / orders as f64, t / orders as f64))
        .collect();
    // The growth of the larger half: the first entries bring their everyday words, which later ones share, so
    // the exponent falls as the base grows; the larger half's is the one to extrapolate.
    let logs: Vec<(f64, f64)> = points[n / 2..]
        .iter()
        .map(|&(v, t)| (v.ln(), t.ln()))
        .collect();
    let m = logs.len() as f64;
    let (sx, sy) = logs
        .iter()
        .fold((0.0, 0.0), |(a, b), &(x, y)| (a + x, b + y));
    let (mx, my) = (sx / m, sy / m);
    let sxy: f64 = logs.iter().map(|&(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = logs.iter().map(|&(x, _)| (x - mx) * (x - mx)).sum();
    let beta = sxy / sxx;
    let k = (my - beta * mx).exp();
    (points, (k, beta))
}

#[path = "../tests/support/eval_set.rs"]
mod eval_set;

/// The labelled questions of the evaluation set (`tests/eval/*.toml`, every part, `eval_set::eval_cases`): real
/// questions for the real knowledge base.
pub fn eval_questions() -> Vec<String> {
    eval_set::eval_cases().into_iter().map(|c| c.q).collect()
}

/// The real knowledge base (`knowledge/`), parsed and checked.
pub fn real_kb() -> KnowledgeBase {
    let parsed = knowledge::parse(&real_files(), CheckOptions::default());
    assert!(
        !parsed.has_errors(),
        "the real knowledge base has errors: run `migbot kb check`"
    );
    parsed.kb
}

/// The real knowledge files.
pub fn real_files() -> Vec<SourceFile> {
    migbot::files::read_knowledge_dir(&real_dir()).expect("read knowledge/")
}

pub fn real_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge")
}

/// A knowledge base as knowledge files: `entries/<topic>.toml` (TOML `[[entry]]` tables) and the real
/// `texts.toml`, `synonyms.toml`, `smalltalk.toml` and `gaps.toml`, sorted by path as `files::read_knowledge_dir`
/// gives them.
pub fn knowledge_files(kb: &KnowledgeBase) -> Vec<SourceFile> {
    #[derive(serde::Serialize)]
    struct EntriesFile<'a> {
        entry: Vec<&'a Entry>,
    }
    let mut by_topic: BTreeMap<&str, Vec<&Entry>> = BTreeMap::new();
    for e in &kb.entries {
        by_topic.entry(e.topic.as_str()).or_default().push(e);
    }
    let mut files: Vec<SourceFile> = real_files()
        .into_iter()
        .filter(|f| !f.path.starts_with("entries/"))
        .collect();
    for (topic, entry) in by_topic {
        let content = toml::to_string(&EntriesFile { entry }).expect("entries serialise as TOML");
        files.push(SourceFile {
            path: format!("entries/{topic}.toml"),
            content,
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// Writes knowledge files to `dir` (created if missing), so that the real binary can import them.
pub fn write_files(files: &[SourceFile], dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir.join("entries"))?;
    for f in files {
        std::fs::write(dir.join(&f.path), &f.content)?;
    }
    Ok(())
}

/// Writes a synthetic knowledge base as a knowledge folder in `dir`.
pub fn write_knowledge_dir(kb: &KnowledgeBase, dir: &Path) -> std::io::Result<()> {
    write_files(&knowledge_files(kb), dir)
}

#[cfg(test)]
mod tests {
    #[test]
    fn same_seed_same_base_and_it_passes_the_checker() {
        use super::*;
        let a = synthetic_kb(300, 7);
        assert_eq!(a, synthetic_kb(300, 7));
        assert_ne!(a, synthetic_kb(300, 8));
        for e in &a.entries {
            assert!((8..=15).contains(&e.en.questions.len()), "{}", e.id);
            assert!((8..=15).contains(&e.ru.questions.len()), "{}", e.id);
        }
        let parsed = knowledge::parse(&knowledge_files(&a), CheckOptions::default());
        let errors: Vec<String> = parsed.errors().map(|p| p.to_string()).collect();
        assert!(errors.is_empty(), "{errors:#?}");
        assert_eq!(parsed.kb, a);
        let q = synthetic_questions(&a, 100, 1);
        assert_eq!(q, synthetic_questions(&a, 100, 1));
        let fixed = synthetic_kb_with(300, 7, VocabularyModel::Fixed);
        assert_eq!(fixed, synthetic_kb_with(300, 7, VocabularyModel::Fixed));
        assert!(
            knowledge::parse(&knowledge_files(&fixed), CheckOptions::default())
                .errors()
                .next()
                .is_none()
        );
    }

    #[test]
    fn the_growing_vocabulary_follows_the_real_bases_growth() {
        use super::*;
        let (_, (k, beta)) = vocabulary_growth(&real_kb(), 5);
        assert!(
            (0.5..0.8).contains(&beta),
            "the real base's exponent {beta}"
        );
        for n in [500, 3000] {
            let kb = synthetic_kb(n, 42);
            let variants: usize = kb.entries.iter().map(|e| e.questions().count()).sum();
            let predicted = k * (variants as f64).powf(beta);
            let terms = entry_terms(&kb) as f64;
            assert!(
                (terms / predicted - 1.0).abs() < 0.15,
                "{n} entries: {terms} terms, the real base's growth predicts {predicted:.0}"
            );
            let fixed = entry_terms(&synthetic_kb_with(n, 42, VocabularyModel::Fixed));
            assert!(fixed < 700, "{n} entries, fixed vocabulary: {fixed} terms");
        }
    }
}
