/*
 * Korean personal names in running text, without a dictionary of names:
 * a family name (the single-syllable ones, the common ones apart from the
 * rare; and 남궁, 선우, 제갈, 황보, 독고, 사공, 서문, 동방), one to three
 * syllables of the few hundred that given names use, and the context that
 * makes such a word a name rather than a common word that happens to start
 * with a family-name syllable (이사, 정기, 최근, 강남):
 *
 *   strong: an honorific or title after it (님, 씨, 고객님, 과장, 드림,
 *           주무관님), a label, role or relation before it (성함:, 수령인,
 *           엄마, 세대주, 예매자, 저(정건), 운전자2), or a contact detail beside it
 *           (김민수 010-1234-5678, 김민수 kim@x.kr, 김민수 폰 010-...,
 *           010-1234-5678(김민수), 110460348651 정 미영);
 *   list:   a form or list position (start of text, after "1)", "-", "(",
 *           ",", ":", "]", "→", a quote or a number; before punctuation,
 *           "→", a number or the end), or another bare three-syllable name
 *           beside it (김은비 이정국 박서아, 박예은과 정 광수);
 *   josa:   a particle or the copula glued to it (이/가/은/는/을/를/에게/
 *           한테/의/이랑/하고/까지만/에서, 입니다, 고).
 *
 * Two-syllable names (김율) need strong context with a title only people
 * take; three syllables, any, and none at all when nothing else reads the
 * word otherwise (우리 애 김복순 반); a given name of three syllables
 * (신새나래) needs strong context. Rare family names need a particle or
 * more. "김 민수", "박 빈" and "남궁 빈", with a space, count (a
 * one-syllable given name only after a label or before a title; not a
 * number word and a counter: 한 명); a two-syllable family name alone
 * takes the next word first (황보 상민, not 황보). Before a noun of the
 * dictionary, 이, 전, 구, 신, 현 and 제 are "this", "former", "old",
 * "new", "current" and "my" (이 문장, 구 여권, 제 번호), not family names.
 *
 * What keeps common words out: a stoplist (이용권, 신청서, 기사님); the
 * 96,147 words of the Korean Hunspell dictionary (kname-words.inc), alone
 * or with a particle, an ending, a suffix (주기가, 연락해도, 주문일,
 * 정자동) or another word of it (공동명의, 연장근로수당이), which stay
 * words unless a title only a name takes follows as a word of its own
 * (박정희 님), or a label stands before one of its own three-syllable words
 * (예약자 박정희): the dictionary holds a few people; and grammar: linking
 * endings (하려고, 길어서), quotations (한다고), honorific verbs (오실,
 * 전하실), the copula alone after a family syllable (함인지), places
 * (성수동), roles (예매자, 추천인), labels (예금주명), a family name and a
 * title (김대리, 김 주임께), firms (신한은행, 한진택배), a word of the
 * dictionary after a rare family syllable even beside a contact detail
 * (사무실 063-...), digits read out (공일공), a given name called out at a
 * line's start (민지야 밥은 먹었니), and a noun and a suffix (연락망, 공지문,
 * 부담금). A syllable right after a digit starts no name
 * (6반, 1644-4510은). In text run together with no spaces, a name counts at
 * the start of a word when a particle or title follows it
 * (김다온으로입금했는데), after an opening word or a label glued to it
 * (저기요김채원께, 예약자명임호석, 이름우 서현), and before the next field of
 * a form (이름권병철연락처010...).
 *
 * Limits: Hangul names only (no foreign or romanised names), no names among
 * the stoplist's words, a name that is a word of the dictionary with a
 * particle (이로운부터), a name in running text with none of the contexts
 * above, a name run together after other words (배송메모에채지은앞으로), a
 * two-syllable name without a label or title (최산과), is missed. On text
 * it has never seen, about one name in fifteen (ds-anon(1)).
 *
 * Ownership: the functions read the caller's bytes and keep nothing of
 * them; no allocation. The first call fills the bitmaps of the syllable
 * sets and checks that the bisected word lists are in order (static state,
 * so one thread at a time).
 */
#ifndef VE_KNAME_H
#define VE_KNAME_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The next name in the UTF-8 text s[0..n) at or after byte *at: sets
 * [*from, *to) to it and *at past it, and returns true; false when there is
 * none. Start with *at = 0.
 */
bool ve_kname_next(const char *s, size_t n, size_t *at, size_t *from, size_t *to);
/*
 * Whether s[0..n), a whole candidate from another recogniser (a label's
 * 김민수, 성함이요's 이요), is shaped like a name: a family name, one or two
 * given-name syllables, and not a common word (정보, 이용권) alone or with
 * a particle (정보가, 변경은).
 */
bool ve_kname_plausible(const char *s, size_t n);

#endif
