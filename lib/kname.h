/*
 * Korean personal names in running text, without a dictionary of names:
 * a family name (the single-syllable ones, the common ones apart from the
 * rare; and 남궁, 선우, 제갈, 황보, 독고, 사공, 서문, 동방), one or two
 * syllables of the few hundred that given names use, and the context that
 * makes such a word a name rather than a common noun that happens to start
 * with a family-name syllable (이사, 정기, 최근, 강남):
 *
 *   strong: an honorific or title after it (님, 씨, 고객님, 과장, 드림),
 *           a label or a relation before it (성함:, 수령인, 엄마, 팀장,
 *           세대주), or a contact detail beside it (김민수 010-1234-5678,
 *           김민수 kim@x.kr, 010-1234-5678(김민수));
 *   list:   a form or list position (start of text, after "1)", "-", "(",
 *           ",", ":" or a number; before punctuation, a number or the
 *           end), or another bare three-syllable name beside it, with a
 *           space (김은비 이정국 박서아);
 *   josa:   a particle or the copula glued to it (이/가/은/는/을/를/에게/
 *           한테/의/이랑/하고/꺼/네, 입니다).
 *
 * Two-syllable names (김율) need strong context; three and more, any.
 * Rare family names need strong context. "김 민수" and "박 빈", with a
 * space, count (a one-syllable given name only with strong context, and
 * not one that counts things: 한 명). A stoplist of common words (이용권,
 * 신청서, 최대한, 정수기, role words such as 기사님) keeps look-alikes
 * out; a stoplist word with a particle (정보랑, 변경은, 명의예요) stays a
 * common word unless an honorific follows (박하은 고객님), whatever label
 * stands before it. So does a word of the Korean Hunspell dictionary
 * (배우자, 설계사님, 주기가, 연락해도, 공동명의) unless a title follows as
 * a word of its own, or, for the dictionary's own three-syllable words,
 * a label stands before or 님 follows (예약자 박정희, 김정희님): the
 * dictionary holds a few people. A syllable right after a digit starts no
 * name (6반, 1644-4510은). In text run together with no spaces, a name
 * that starts a long word counts when a particle or title follows it
 * (김다온으로입금했는데).
 *
 * Limits: Hangul names only (no foreign or romanised names), given names
 * of at most two syllables, no names among the stoplist's words, a name
 * that is a word of the dictionary with a particle (이사랑이), and a
 * name in running text with none of the contexts above, or inside a word
 * run together (저기요김민수한테), is missed.
 *
 * Ownership: the functions read the caller's bytes and keep nothing; no
 * allocation, no state between calls.
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
