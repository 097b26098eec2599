/*
 * ds-anon — mask personal data in JSON Lines records.
 *
 * Each string value of a record (or only those under the --field paths) is
 * searched with PCRE2 for e-mail addresses, phone numbers (Korean mobile and
 * landline, +82, E.164), Korean resident registration numbers, card numbers
 * (Luhn-checked), IPv4 and IPv6 addresses, credentials in URLs and
 * password/secret assignments, bearer tokens, and API keys of common shapes.
 * A match becomes a typed placeholder (<EMAIL>), or with --salt-file a
 * pseudonym (<EMAIL:3f2a9c1d>: the first 32 bits of the HMAC-SHA256 of the
 * value in a canonical form, keyed by the salt), so one person stays one
 * pseudonym across records and days while the salt is kept.
 *
 * Records pass through byte for byte except the string literals that
 * changed, which are written again as JSON strings; object keys are never
 * touched.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "array.h"
#include "buf.h"
#include "cli.h"
#include "diag.h"
#include "json.h"
#include "kname.h"
#include "num.h"
#include "output.h"
#include "re.h"
#include "reader.h"
#include "sha256.h"

enum kind {
	EMAIL,
	PHONE,
	RRN,
	CARD,
	IP,
	CREDENTIALS,
	TOKEN,
	API_KEY,
	PASSPORT,
	LICENSE,
	ACCOUNT,
	ADDRESS,
	NAME,
	NKINDS
};

static const char *const kind_names[NKINDS] = {
    "EMAIL",   "PHONE",    "RRN",     "CARD",    "IP",      "CREDENTIALS", "TOKEN",
    "API_KEY", "PASSPORT", "LICENSE", "ACCOUNT", "ADDRESS", "NAME",
};

enum check {
	CHECK_NONE,
	CHECK_LUHN,
	CHECK_IPV4,
	CHECK_IPV6,
	CHECK_RRN,
	CHECK_E164,
	CHECK_PHONE,
	CHECK_PASSPORT,
	CHECK_ACCOUNT,
	CHECK_NAME,
};

/* Korean family names, the two-syllable ones first so they match whole. */
#define SURNAME                                                                                    \
	"(?:남궁|선우|제갈|황보|독고|사공|서문|동방|김|이|박|최|정|강|"      \
	"조|윤|장|임|한|오|서|신|권|황|안|송|류|유|전|홍|고|문|양|손|"         \
	"배|백|허|남|심|노|하|곽|성|차|주|우|구|민|진|나|지|엄|채|원|"         \
	"천|방|공|현|함|변|염|여|추|도|소|석|선|설|마|길|연|위|표|명|"         \
	"기|반|왕|금|옥|육|인|맹|제|모|탁|국|어|은|편|용|예|봉|경|부|"         \
	"가|복|태|목|형|피|두|감|음|빈|온|호|범|좌|팽|승|간|상|시|화)"

/* Provinces and metropolitan cities as addresses spell them, long and short. */
#define PROVINCE                                                                                                                \
	"(?:서울(?:특별시|시)?|(?:부산|대구|인천|광주|대전|울산)(?:광역시|시)?|"                          \
	"세종(?:특별자치시|시)?|경기(?:도)?|강원(?:특별자치도|도)?|충청북도|충북|충청남도|충남|" \
	"전북특별자치도|전라북도|전북|전라남도|전남|경상북도|경북|경상남도|경남|"                \
	"제주(?:특별자치도|도)?)"

/*
 * A building, floor and unit after the number: 101동 1202호, B동 604호, 가동 401호, 3층 304호,
 * 지하 2층, B1 37호, 103-1103호. Up to two words may name the building before its 동, 호 or
 * floor (래미안 113동 1501호, 한양대 신소재공학관 301호, 중동 현대아파트 105-1203), and one
 * word that ends as a building's name does stands for the building without a unit
 * (정부서울청사, 롯데월드타워). The road-name address's reference part follows in
 * parentheses ((상남동), (오산동, 동탄역 푸르지오)), and people write the unit after it too.
 */
#define DONG   "제?(?:[A-Za-z]|[가나다라마바사]|\\d{1,4})\\s?동"
#define FLOOR  "(?:(?:지하\\s?)?\\d{1,3}층|B\\d{1,2}층?|\\d{1,2}[Ff](?![A-Za-z]))"
#define DONGHO "\\d{1,4}-\\d{3,5}호?(?![\\d-])"
#define UNIT_NO                                                                                    \
	"(?:(?:" DONG "\\s?)?(?:" FLOOR "\\s?)?제?\\d{1,5}\\s?호|(?:" DONG "\\s?)?" FLOOR          \
	"(?:\\s?\\d{1,5}\\s?호)?|" DONG "\\s?\\d{2,5}(?![\\d층호])|" DONGHO ")"
/* A unit ahead: a 동 and its 호 (or the 호's number alone: 209동 206), or 101-1203. */
#define UNIT_AHEAD "(?=" DONG "\\s?(?:제?\\d{1,5}\\s?호|\\d{2,5}(?![\\d층호]))|" DONGHO ")"
/* How the names of apartment complexes end (한신아파트, 역삼푸르지오, 벽적골주공, 부영3단지). */
#define COMPLEX_END                                                                                                                  \
	"아파트|빌라|맨션|하이츠|타운|캐슬|자이|푸르지오|래미안|아이파크|힐스테이트|편한세상|"   \
	"더샵|하늘채|더휴|오피스텔|주공|블루밍|스위첸|데시앙|베르디움|파크|시티|빌|타워|팰리스|" \
	"그린|뷰|하임|포레|위브|성원|삼성|휴먼시아|현대|대우|쌍용|롯데|우성|한신|벽산|동아|한양|" \
	"대림|두산|코오롱|금호|한라|우방|부영|중흥|계룡|극동|삼환|럭키|풍림|청구|동문|LH|SH|SK|"      \
	"\\s?\\d{1,2}차|\\s?\\d{1,2}단지"
#define BUILDING                                                                                                                       \
	"[가-힣A-Za-z0-9]{1,12}(?:빌딩|타워|센터|청사|청|아파트|빌라|오피스텔|맨션|프라자|플라자|"         \
	"스퀘어|캐슬|푸르지오|자이|래미안|아이파크|힐스테이트|더샵|상가|연립|하우스|대학교|학교|" \
	"병원|의원|우체국|백화점|호텔|유치원|어린이집|교회|성당|공장|사옥|본사)"                          \
	"(?![가-힣A-Za-z0-9])"
/*
 * A word of a building's name: letters taken whole (atomic, so that a run
 * is never split again into shorter words when what follows fails), a
 * number glued to them, or a phase (중흥S-클래스, 타워1, 2차).
 */
#define BLDG_WORD                                                                                  \
	"(?:(?>[가-힣A-Za-z][가-힣A-Za-z-]{0,15})\\d{0,2}(?:차|단지)?|\\d{1,2}(?:차|단지))"
#define UNIT_AT                                                                                    \
	"(?:,?\\s?(?:" BLDG_WORD "\\s?){0,3}?(?=" DONG "|" FLOOR "|\\d{1,5}호|" DONGHO ")" UNIT_NO \
	"|,?\\s?" BUILDING ")"
#define REF_WORDS "[가-힣A-Za-z0-9][가-힣A-Za-z0-9 -]{0,19}"
#define REF_PART  "\\([가-힣0-9]{1,8}(?:동|가|읍|면|리)(?:(?:,\\s?|\\s)?" REF_WORDS ")?\\)"
#define UNIT      "(?:" UNIT_AT ")?(?:\\s?" REF_PART "(?:" UNIT_AT ")?)?"

/* A road name's end: 로 or 길, and a side street's number (중앙로 12번길, 강남대로94길). */
#define ROAD_END "(?:로|길)(?:\\s?\\d{1,4}번?길)?"

/*
 * A road and building number (not 충무로1가, a neighbourhood, nor 택배로 3개 or 이쪽으로 2번,
 * a particle and a count), a neighbourhood and lot number, or a neighbourhood and an
 * apartment complex with its 동 and 호 (장유동 부영 3단지 101동 205호, 조례동 주공2차
 * 108-502); a unit may follow.
 */
#define ROAD_OR_LOT                                                                                \
	"(?:[가-힣0-9]{1,12}" ROAD_END "\\s?(?:지하\\s?)?\\d{1,4}(?:-\\d{1,4})"                  \
	"?(?![가명개분원회일월년살%]|-\\d)"                                              \
	"|[가-힣0-9]{1,8}(?:동|읍|면|가)\\s?(?:[가-힣]{1,5}리\\s?)?(?:산\\s?)?"          \
	"\\d{1,5}(?:-\\d{1,5})?(?![\\d호-])(?:\\s?번지)?"                                       \
	"|[가-힣0-9]{1,8}동\\s?(?:" BLDG_WORD "\\s?){1,3}?" UNIT_AHEAD                             \
	"|[가-힣A-Za-z0-9]{2,16}\\s?" UNIT_AHEAD ")" UNIT

/*
 * An apartment complex by its name, with its 동 and 호, wherever it stands
 * (상계한신아파트 206동 1702호, 양정동 양정한신아파트 201동 1306호, 한신더휴운양8차 105동
 * 1305호): the 동 and 호 alone are no address (101동 1202호 택배함).
 */
/* Builders' brands that name a complex on their own (래미안 퍼스티지 203동, LH 휴먼시아 102동). */
#define BRAND "(?:래미안|푸르지오|힐스테이트|아이파크|e편한세상|롯데캐슬|휴먼시아|더샵|센트레빌)"
#define COMPLEX                                                                                    \
	"(?<![가-힣A-Za-z0-9])(?:[가-힣0-9]{1,8}동\\s?(?:\\d{1,5}(?:-\\d{1,5})?\\s)?)?"       \
	"(?:(?:[가-힣A-Za-z0-9]{1,16}(?:" COMPLEX_END ")|(?:LH\\s?)?" BRAND                        \
	")(?:\\s?\\d{1,2}(?:차|단지))?"                                                         \
	"(?:\\s" BLDG_WORD "){0,2}?\\s?" UNIT_AHEAD                                                \
	"|[가-힣A-Za-z]{2,10}(?=\\d{1,4}동\\s?\\d{1,5}호))" UNIT

/* The region a driver's licence was issued in, written as its name (서울 12-123456-12). */
#define LICENSE_REGION                                                                                                            \
	"(?:서울|부산|경기(?:남부|북부)?|강원|충북|충남|전북|전남|경북|경남|제주|대구|인천|광주|" \
	"대전|"                                                                                                                 \
	"울산)"

/* The cities of Korea without their 시, as people write them before a district (창원 마산합포구).
 */
#define CITY                                                                                                                         \
	"(?:수원|성남|고양|용인|부천|안산|안양|남양주|화성|평택|의정부|시흥|파주|김포|광명|군포|"  \
	"하남|오산|이천|안성|의왕|양주|포천|여주|동두천|과천|구리|춘천|원주|강릉|동해|태백|속초|" \
	"삼척|청주|충주|제천|천안|공주|보령|아산|서산|논산|계룡|당진|전주|군산|익산|정읍|남원|"    \
	"김제|목포|여수|순천|나주|광양|포항|경주|김천|안동|구미|영주|영천|상주|문경|경산|창원|"    \
	"진주|통영|사천|김해|밀양|거제|양산|서귀포)"

/*
 * Where an address starts: the province, the city or the district (서울 강남구, 성남시
 * 분당구, 마포구), and the city or district without its 시 or 구 after a province
 * (서울 강남 테헤란로 123).
 */
#define ADDRESS_FROM                                                                                          \
	"(?:" PROVINCE "\\s?(?:[가-힣]{1,5}시\\s?|[가-힣]{2,4}\\s(?=[가-힣]{1,5}[구군]|[가-힣0-9]" \
	"{2,12}[로길동]))?"                                                                                \
	"(?:[가-힣]{1,5}[구군]\\s?|[가-힣]{2,4}\\s(?=[가-힣0-9]{2,12}[로길동]))?"                  \
	"|[가-힣]{1,5}시\\s?(?:[가-힣]{1,5}[구군],?\\s?)?|[가-힣]{1,5}[구군],?\\s?"                \
	"|" CITY "\\s(?:[가-힣]{1,5}[구군],?\\s?)?(?=[가-힣0-9]{2,12}(?:로|길|동)))"

/* Words that stand before an address in a service query. */
#define ADDRESS_LABEL                                                                                              \
	"(?:주소|주소지|배송지|거주지|도착지|출발지|목적지|수령지|방문지|사는\\s?곳|" \
	"픽업(?:\\s?(?:장소|위치))?|배달\\s?(?:장소|위치)|위치|소재지|사업장|근무지)"

/* Words that stand before a person's name in a service query. */
#define NAME_LABEL                                                                                           \
	"(?:성함|이름|고객명|성명|예금주(?:명)?|받는\\s?(?:분|사람)|받으시는\\s?분|"  \
	"보내는\\s?(?:분|사람)|수령인|수령자|수취인|보호자|신청인|신청자|가입자|" \
	"명의자|계약자|주문자|예약자|대표자|입금자(?:명)?|송금인|탑승객|탑승자|" \
	"투숙객|운전자|양도인|양수인|담당자|가족)"

/* What may follow a name: a particle, the copula, an honorific, or no more Hangul. */
#define NAME_END                                                                                          \
	"(?=$|[^가-힣]|입니다|이에요|이요|예요|이라고|라고|인데|이고|이며|이랑|" \
	"님|씨|고객|으로|로|께|에게|명의)"

/*
 * What a text holds, for patterns[].has: a digit, a byte past ASCII
 * (Hangul), ten digits or more (in all: an account, a resident number, a
 * licence or a card number has that many).
 */
/*
 * What a text holds, for patterns[].has: a digit, seven or ten digits, a
 * byte of a non-ASCII character, a unit's mark (동, or digit-dash-digit),
 * an @, a : or =, a run of 12 characters of a key ([A-Za-z0-9_-]).
 */
enum {
	HAS_DIGIT = 1 << 0,
	HAS_WIDE = 1 << 1,
	HAS_DIGITS10 = 1 << 2,
	HAS_UNIT = 1 << 3,
	HAS_DIGITS7 = 1 << 4,
	HAS_AT = 1 << 5,
	HAS_ASSIGN = 1 << 6,
	HAS_RUN12 = 1 << 7,
};

/* A bank's name or an account word, before an account number. */
#define BANK_WORD                                                                                                                \
	"(?i)(?:은행|뱅크|계좌|입금|송금|이체|예금주|account|kakaobank|kbank|toss|shinhan|woori|"                 \
	"hana|국민|신한|우리|하나|"                                                                                      \
	"농협|기업|IBK|KB|NH|SC제일|씨티|수협|우체국|새마을금고|신협|카카오(?!톡)|카뱅|케뱅|토스|" \
	"케이)"

/*
 * The patterns, in priority order: where two matches overlap, the earlier
 * pattern wins (a URL's password before the e-mail address it resembles).
 * Digits stand alone ((?<!\d) ... (?!\d)) so a longer number is never
 * partly masked. \K starts the masked part after a label that stays; where
 * a bare number would be too greedy (bank accounts, a licence number
 * without dashes), a context word before it is required.
 */
static const struct pattern {
	enum kind kind;
	enum check check;
	const char *re;
	/*
	 * Words one of which every match holds, '|' between them, in lower
	 * case: a text that holds none is not searched (the Hangul patterns
	 * would be tried at every syllable). NULL: no such words.
	 */
	const char *need;
	unsigned has; /* what every match holds: HAS_* */
} patterns[] = {
    /* user:password@ in a URL */
    {CREDENTIALS, CHECK_NONE, "\\b[A-Za-z][A-Za-z0-9+.-]*://\\K[^\\s:/@]+:[^\\s/@]+(?=@)", NULL,
     HAS_AT | HAS_ASSIGN},
    /* password=..., secret: ... */
    {CREDENTIALS, CHECK_NONE,
     "(?i)\\b(?:password|passwd|pwd|secret|client_secret)\\b[\"']?\\s*[:=]\\s*[\"']?\\K[^\\s\"',;]{"
     "4,}",
     NULL, HAS_ASSIGN},
    {TOKEN, CHECK_NONE, "(?i)\\bbearer\\s+\\K[A-Za-z0-9._~+/-]{8,}=*", "bearer", 0},
    {API_KEY, CHECK_NONE,
     "\\b(?:sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36,}"
     "|github_pat_[A-Za-z0-9_]{22,}|xox[abprs]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}"
     "|hf_[A-Za-z0-9]{30,}|glpat-[A-Za-z0-9_-]{20}"
     "|eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,})",
     NULL, HAS_RUN12},
    {API_KEY, CHECK_NONE,
     "(?i)\\b(?:api[_-]?key|access[_-]?key|auth[_-]?token|access[_-]?token|x-api-key)\\b"
     "[\"']?\\s*[:=]\\s*[\"']?\\K[A-Za-z0-9._~+/-]{12,}",
     NULL, HAS_ASSIGN},
    {EMAIL, CHECK_NONE,
     "(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\\.)+"
     "[A-Za-z]{2,}\\b",
     NULL, HAS_AT},
    /*
     * a bank account: a bank's name or an account word, then the number on its line or at
     * the start of the next (케이뱅크\n100790229998); a check digit may end it (새마을금고
     * 1178-05-368877-6)
     */
    {ACCOUNT, CHECK_ACCOUNT,
     BANK_WORD
     "([^\\d\\n]{0,15}|[^\\d\\n]{0,3}\\n)\\K(?<![\\d+-])\\d{2,6}(?:[- ]\\d{2,7}){1,4}(?:[- ]\\d)?"
     "(?![\\d-]|,\\d|\\s?원)",
     NULL, HAS_DIGITS10},
    {ACCOUNT, CHECK_ACCOUNT,
     BANK_WORD "([^\\d\\n]{0,15}|[^\\d\\n]{0,3}\\n)\\K(?<![\\d+-])\\d{10,14}(?![\\d-]|,\\d|\\s?원)",
     NULL, HAS_DIGITS10},
    /*
     * the bank's name after the number: 52688855927874(KB국민은행), 110-123-456789 신한은행
     * (the empty group: no gap before the number, for CHECK_ACCOUNT)
     */
    {ACCOUNT, CHECK_ACCOUNT,
     "()(?<![\\d-])(?:\\d{2,6}(?:-\\d{2,7}){1,4}|\\d{10,14})(?![\\d-])"
     "(?=\\s?[(/"
     "]?\\s?(?:KB|NH|IBK|SC|MG|kb|nh|ibk|mg)?[가-힣]{0,6}(?:은행|뱅크|금고|신협)|\\s?(?:계좌|(?:"
     "토스|"
     "카뱅|케뱅)(?![가-힣])))",
     NULL, HAS_DIGITS10},
    /*
     * YYMMDD-GNNNNNN; G 1-4 for Koreans, 5-8 for foreign residents; the dash may be typed as
     * the vowel ㅡ, as it may in phone numbers (010ㅡ7058ㅡ3016)
     */
    {RRN, CHECK_RRN,
     "(?<![\\d-])\\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\\d|3[01])(?:\\s?[-–ㅡ]\\s?|\\s)?[1-8]\\d{6}("
     "?"
     "![\\d-])",
     NULL, HAS_DIGITS10},
    /* driver's licence: region code (11-28) or name, 2 digits, 6 digits, 2 digits */
    {LICENSE, CHECK_NONE, "(?<![\\d-])(?:1[1-9]|2[0-8])([- ])\\d{2}\\1\\d{6}\\1\\d{2}(?![\\d-])",
     NULL, HAS_DIGITS10},
    {LICENSE, CHECK_NONE, LICENSE_REGION "\\s?\\d{2}([- ])\\d{6}\\1\\d{2}(?![\\d-])", NULL,
     HAS_DIGITS10},
    {LICENSE, CHECK_NONE,
     "(?i)(?:면허|licen[cs]e)[^\\d\\n]{0,30}\\K(?<!\\d)(?:(?:1[1-9]|2[0-8])|" LICENSE_REGION
     "\\s?)\\d{10}(?!\\d)",
     NULL, HAS_DIGITS10},
    /*
     * in a text about licences, the forms a person types loosely: separators mixed (13
     * 94-138141-87), the code and ten digits (20-1108627716), twelve digits on another line
     */
    {LICENSE, CHECK_NONE,
     "(?<![\\d-])(?:1[1-9]|2[0-8])(?:[- ]\\d{2}[- ]\\d{6}[- ]?\\d{2}|-\\d{10}|\\d{10})(?![\\d-])",
     "면허|licen", HAS_DIGITS10},
    /* passport: a letter and 8 digits, or (since 2021) letter, 3 digits, letter, 4 digits */
    {PASSPORT, CHECK_PASSPORT,
     "(?<![A-Za-z0-9-])[MSRODG](?:\\d{8}|\\d{3}[A-Z]\\d{4})(?![A-Za-z0-9-])", NULL, HAS_DIGITS7},
    {PASSPORT, CHECK_NONE,
     "(?i)(?:여권|passport)[^\\n]{0,15}?\\K(?<![A-Za-z0-9-])[MSRODG](?:\\d{8}|\\d{3}[A-Z]\\d{4})"
     "(?![A-Za-z0-9-])",
     "여권|passport", HAS_DIGITS7},
    /* in lower case in a text about travel, where a product code is not (이재민 d87731759) */
    {PASSPORT, CHECK_PASSPORT,
     "(?<![A-Za-z0-9-])[msrodg](?:\\d{8}|\\d{3}[a-z]\\d{4})(?![A-Za-z0-9-])",
     "여권|passport|여행|발권|출국|항공권|비자|visa", HAS_DIGITS7},
    /*
     * Korean numbers, with +82 (or 82 before an area code) or a leading 0; a dash may have
     * spaces around it or be an en dash or ㅡ (010 - 5840 - 1067, 010–6455–4431); after a
     * name and a dash or a full stop (장기철-010-..., 김윤.010...), in comma-separated rows
     */
    {PHONE, CHECK_PHONE,
     "(?:(?<![\\w+])\\+82[- "
     "]?(?:\\(0\\))?|(?<![\\w+-])82[- "
     "](?=(?:1[016789]|2|[3-6][1-5]|70)[- ])|(?:(?<![\\w.+#-])|(?<=[가-힣][.-]))(?<!\\d:)(?:\\((?"
     "=0\\d{1,3}\\)))?0)"
     "(?:1[016789]|2|[3-6][1-5]|70|50\\d)(?:\\s?[-–ㅡ]\\s?|[-. "
     ")]{0,2})\\d{3,4}(?:\\s?[-–ㅡ]\\s?|[-. "
     "])?"
     "\\d{4}(?![\\w]|[-.]\\d|,\\d{3}(?![\\d)-]))",
     NULL, HAS_DIGITS7},
    /* a mobile number read out and split anyhow (010 36 77 3696, 010 3893 08 07) */
    {PHONE, CHECK_PHONE, "(?<![\\w+.-])01[016789](?: ?\\d){8}(?![\\w]|[-.,]\\d)", NULL,
     HAS_DIGITS10},
    /* E.164 and other international numbers */
    {PHONE, CHECK_E164,
     "(?<![\\w+])\\+[1-9]\\d{0,3}(?:[-. ]?\\(?\\d{1,4}\\)?){2,5}(?![\\w]|[-.]\\d)", NULL,
     HAS_DIGIT},
    /*
     * cards: 13 to 19 digits that pass Luhn, with one kind of separator, or four groups of
     * four between dots; not from 0 or 8, which start no payment card (89: a SIM's ICCID)
     */
    {CARD, CHECK_LUHN, "(?<![\\d.,-])[1-79](?:[ -]?\\d){12,18}(?!\\d|[.,-]\\d)", NULL,
     HAS_DIGITS10},
    {CARD, CHECK_LUHN, "(?<![\\d.,-])[1-79]\\d{3}(?:\\.\\d{4}){3}(?![\\d.])", NULL, HAS_DIGITS10},
    /* four groups with spaced dashes (4909 - 1160 - 9492 - 8619), Amex's 4-6-5 between dots */
    {CARD, CHECK_LUHN,
     "(?<![\\d.,-])(?:[1-79]\\d{3}(?: - \\d{4}){3}|3[47]\\d{2}\\.\\d{6}\\.\\d{5})(?![\\d.])", NULL,
     HAS_DIGITS10},
    {IP, CHECK_IPV4,
     "(?<![\\w.])(?:(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}"
     "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(?![\\w-]|\\.\\d)",
     NULL, HAS_DIGIT},
    {IP, CHECK_IPV6, "(?<![\\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\\w:.])", NULL,
     HAS_ASSIGN},
    /*
     * after a word that says an address follows, from whatever the writer started with (first,
     * so that the label's own syllables are never read as a city's name):
     * 주소서울시강남구…, 주소: 테헤란로 123, 배송지는 강남 역삼동 823-1, 픽업 장소 중앙로 12번길 3
     */
    {ADDRESS, CHECK_NONE,
     ADDRESS_LABEL "(?:은요|는요|이요|가요|은|는|이|가|요|로)??\\s?[:：]?\\s?\\K(?![는요로])"
                   "(?:" ADDRESS_FROM "|[가-힣]{2,4}\\s)?(?:[가-힣]{1,5}[읍면]\\s?)?" ROAD_OR_LOT,
     NULL, HAS_DIGIT | HAS_WIDE},
    /*
     * road-name and lot-number addresses, from the province, the city or the district, at
     * the start of a word or right after a particle (주소는서울시강남구…)
     */
    {ADDRESS, CHECK_NONE,
     "(?:(?<![가-힣])|(?<=[은는가요]))(?!" ADDRESS_LABEL ")" ADDRESS_FROM
     "(?:[가-힣]{1,5}[읍면]\\s?)?" ROAD_OR_LOT,
     NULL, HAS_DIGIT | HAS_WIDE},
    /* an apartment complex with its 동 and 호, wherever it stands */
    {ADDRESS, CHECK_NONE, COMPLEX, NULL, HAS_DIGIT | HAS_WIDE | HAS_UNIT},
    /*
     * a road and building number, or a neighbourhood and a lot number with its dash, alone
     * in a list or a note (효자로 452 공동현관, 행당동 6-17): not a word and 으로 or a count
     * after the number (이쪽으로 2번, 택배로 3개), not a number from 0 (문자로 010...), not a
     * product (아이폰15프로 256), not a hotline (긴급출동 1899-4253)
     */
    {ADDRESS, CHECK_NONE,
     "(?<![가-힣])(?:[가-힣0-9]{1,11}[가-힣](?<!으|프)" ROAD_END "\\s[1-9]\\d{0,"
     "3}"
     "(?:-\\d{1,4})?|[가-힣]{1,4}동\\s(?!1[5-9]\\d\\d-)[1-9]\\d{0,3}-\\d{1,4}(?:\\s?번지)?)(?!["
     "\\d가-힣%.,-])" UNIT,
     NULL, HAS_DIGIT | HAS_WIDE},
    /*
     * a road and number wherever it stands, when the reference part follows it (대학로163(궁동))
     * or a building's floor or unit (중정로 53-2, 동아상가 8층 (중문동), 보듬3로83번길 74-4
     * 103동 405호, 직지대로 28-22, 현대아파트 106-1206)
     */
    {ADDRESS, CHECK_NONE,
     "(?<![가-힣])[가-힣0-9]{2,12}" ROAD_END "\\s?\\d{1,4}(?:-\\d{1,4})?"
     "(?:\\s?" REF_PART "(?:" UNIT_AT ")?|(?![\\d가-힣-])(?=,?\\s?(?:" BLDG_WORD
     "\\s?){0,3}?(?:" FLOOR "|\\d{1,5}호|" DONG "|" DONGHO "))" UNIT ")",
     NULL, HAS_DIGIT | HAS_WIDE},
    /* a name after a label: 성함: 이영희, 예금주 홍길동, 고객명(이름): 박민수, 주문자는 김율이에요
     */
    {NAME, CHECK_NAME,
     NAME_LABEL "(?:\\s?\\([^)\\n]{0,8}\\))?(?:\\s?(?:이름|성함))?"
                "(?:은요|이요|은|는|이|가|을|를)?\\s?[:：]?\\s?\\K" SURNAME "[가-힣]{1,2}" NAME_END,
     NULL, HAS_WIDE},
    /* a name before an honorific: 김철수 고객님, 홍길동 님, 남궁민수씨, (박승현 명의) */
    {NAME, CHECK_NAME, "(?<![가-힣])" SURNAME "[가-힣]{2}(?=\\s?(?:고객님|회원님|고객|님|씨|명의))",
     "님|씨|고객|명의", HAS_WIDE},
};
#define NPATTERNS (sizeof patterns / sizeof patterns[0])

struct opts {
	char **fields;
	int nfields;
	const char *salt_file;
	long match_limit; /* 0: PCRE2's own */
	struct ve_cli cli;
};

struct span {
	size_t from, to;
	enum kind kind;
};

struct anon {
	pcre2_code *re[NPATTERNS];
	pcre2_match_data *md;
	pcre2_match_context *mc; /* --match-limit */
	unsigned char *salt;
	size_t salt_len;
	struct ve_jq **fields; /* each compiled as [path(EXPR)], when first needed */
	jv *simple;            /* each EXPR's path when it is .a or .a.b ..., else null */
	char **exprs;          /* their EXPRs, borrowed */
	int nfields;
	struct span *spans;
	size_t nspans, cap;
	struct ve_buf subject, lower, canon, out;
	unsigned long long count[NKINDS];
	bool unsearched; /* a pattern could not finish a string of the record */
};

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: %s [-qv] [-f EXPR]... [--salt-file FILE] [--skip-bad] [--rejects FILE]\n"
	        "               [FILE...]\n"
	        "\n"
	        "Mask personal data in the strings of JSON Lines records: e-mail, phone numbers,\n"
	        "Korean resident registration, passport, driver's licence and bank account\n"
	        "numbers, card numbers, IP addresses, credentials, tokens, API keys, Korean\n"
	        "addresses and Korean personal names.\n"
	        "\n"
	        "  -f, --field EXPR      jq path of the strings to mask (repeatable;\n"
	        "                        default: every string value)\n"
	        "  -s, --salt-file FILE  pseudonyms <TYPE:HMAC> keyed by FILE's bytes, not <TYPE>\n"
	        "      --match-limit N   PCRE2's match limit per search (default 10000000); a\n"
	        "                        string a pattern cannot finish makes its record bad\n",
	        ve_progname);
	ve_cli_help(f, VE_CLI_RECORDS | VE_CLI_PROGRESS, 24);
	fprintf(f, "\n"
	           "With -v, the counts per type go to stderr.\n"
	           "Exit: 0 ok, 64 usage, 65 bad input, 66 cannot open, 73 cannot create,\n"
	           "74 I/O error. See ds-anon(1).\n");
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
	const struct option longopts[] = {
	    {"field", required_argument, NULL, 'f'},
	    {"salt-file", required_argument, NULL, 's'},
	    {"match-limit", required_argument, NULL, 'M'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	o->cli.flags = VE_CLI_RECORDS | VE_CLI_PROGRESS;
	while ((c = ve_getopt(argc, argv, "f:s:", longopts, &o->cli, usage)) != -1) {
		switch (c) {
		case 'f':
			o->fields =
			    ve_xrealloc(o->fields, sizeof *o->fields * (size_t)(o->nfields + 1));
			o->fields[o->nfields++] = optarg;
			break;
		case 's': o->salt_file = optarg; break;
		case 'M':
			o->match_limit = ve_opt_long("--match-limit", optarg, 1, 4000000000L);
			break;
		}
	}
}

/* Reads the salt: the file's bytes without one final newline. 0 or an exit status. */
static int
read_salt(const char *path, struct anon *a)
{
	FILE *f = fopen(path, "rb");
	struct ve_buf b = {0};

	if (!f) {
		ve_warn("--salt-file: %s:", path);
		return VE_EX_NOINPUT;
	}
	if (!ve_buf_read(&b, f)) {
		ve_warn("--salt-file: %s:", path);
		fclose(f);
		ve_buf_free(&b);
		return VE_EX_IOERR;
	}
	fclose(f);
	if (b.len && b.p[b.len - 1] == '\n')
		b.len--;
	if (b.len && b.p[b.len - 1] == '\r')
		b.len--;
	if (b.len == 0) {
		ve_warn("--salt-file: %s: empty salt", path);
		ve_buf_free(&b);
		return VE_EX_DATAERR;
	}
	a->salt = (unsigned char *)b.p;
	a->salt_len = b.len;
	return 0;
}

/*
 * The path of a --field EXPR that is a chain of plain keys (.text,
 * .meta.question; not .messages[].content), as a jq array, or null for
 * any other EXPR. Such a path needs no jq program: compiling one costs
 * libjq 1.6 some 170 million instructions, more than masking ten thousand
 * queries. Words jq 1.6 reserves (.end, .if) are left to jq.
 */
static jv
simple_path(const char *expr)
{
	static const char *const reserved[] = {"def",     "as",      "if",    "then",   "elif",
	                                       "else",    "end",     "and",   "or",     "reduce",
	                                       "foreach", "try",     "catch", "label",  "import",
	                                       "include", "__loc__", "not",   "__prog", NULL};
	jv path = jv_array();

	for (const char *p = expr; *p;) {
		size_t k =
		    *p == '.' ? strspn(p + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		                              "0123456789_")
		              : 0;
		bool reserved_word = false;
		for (const char *const *w = reserved; *w && k; w++)
			reserved_word |= strlen(*w) == k && !memcmp(p + 1, *w, k);
		if (!k || isdigit((unsigned char)p[1]) || reserved_word) {
			jv_free(path);
			return jv_null();
		}
		path = jv_array_append(path, jv_string_sized(p + 1, (int)k));
		p += 1 + k;
	}
	return jv_array_length(jv_copy(path)) ? path : (jv_free(path), jv_null());
}

/* Compiles --field number i as [path(EXPR)]; exits 64 on a bad EXPR. */
static void
field_compile(struct anon *a, int i)
{
	struct ve_buf e = {0};

	ve_buf_addf(&e, "[path(%s)]", a->exprs[i]);
	a->fields[i] = ve_jq_compile("--field", e.p);
	ve_buf_free(&e);
}

/*
 * Whether a simple path may be taken as it is in rec (borrowed): every
 * value on the way is an object or null, as jq indexes them; anything
 * else is left to jq, for its error.
 */
static bool
simple_ok(jv rec, jv path)
{
	jv v = jv_copy(rec);
	bool ok = true;

	for (int i = 0, n = jv_array_length(jv_copy(path)); i < n && ok; i++) {
		jv_kind k = jv_get_kind(v);
		ok = k == JV_KIND_OBJECT || k == JV_KIND_NULL;
		if (ok && k == JV_KIND_OBJECT && i + 1 < n)
			v = jv_object_get(v, jv_array_get(jv_copy(path), i));
		else if (ok && i + 1 < n) {
			jv_free(v);
			v = jv_null();
		}
	}
	jv_free(v);
	return ok;
}

static void
anon_init(struct anon *a, const struct opts *o)
{
	memset(a, 0, sizeof *a);
	for (size_t i = 0; i < NPATTERNS; i++) {
		a->re[i] = ve_re_compile(NULL, patterns[i].re, PCRE2_UTF);
		pcre2_jit_compile(a->re[i], PCRE2_JIT_COMPLETE);
	}
	a->md = pcre2_match_data_create(4, NULL);
	a->mc = pcre2_match_context_create(NULL);
	if (!a->md || !a->mc)
		ve_die(VE_EX_SOFTWARE, "out of memory");
	if (o->match_limit)
		pcre2_set_match_limit(a->mc, (uint32_t)o->match_limit);
	a->nfields = o->nfields;
	a->exprs = o->fields;
	a->fields = ve_xcalloc((size_t)o->nfields + 1, sizeof *a->fields);
	a->simple = ve_xcalloc((size_t)o->nfields + 1, sizeof *a->simple);
	for (int i = 0; i < o->nfields; i++) {
		a->simple[i] = simple_path(o->fields[i]);
		if (jv_get_kind(a->simple[i]) == JV_KIND_NULL)
			field_compile(a, i);
	}
}

static void
anon_free(struct anon *a)
{
	for (size_t i = 0; i < NPATTERNS; i++)
		pcre2_code_free(a->re[i]);
	pcre2_match_data_free(a->md);
	pcre2_match_context_free(a->mc);
	for (int i = 0; i < a->nfields; i++) {
		if (a->fields[i])
			ve_jq_free(a->fields[i]);
		jv_free(a->simple[i]);
	}
	free(a->fields);
	free(a->simple);
	free(a->salt);
	free(a->spans);
	ve_buf_free(&a->subject);
	ve_buf_free(&a->lower);
	ve_buf_free(&a->canon);
	ve_buf_free(&a->out);
}

/*
 * Whether one of words stands within span bytes before s[at] (spaces, ':',
 * '#' and '.' just before at not counted), as a whole word: neither "server"
 * nor "verified" holds "ver". A Hangul word may run on (모델명 holds 모델).
 */
static bool
preceded_by(const char *s, size_t at, const char *const *words, size_t span)
{
	size_t end = at;

	while (end > 0 && strchr(" \t:#.", s[end - 1]))
		end--;
	for (const char *const *w = words; *w; w++) {
		size_t n = strlen(*w);
		for (size_t back = n; back <= span && back <= end; back++) {
			size_t from = end - back;
			if (!strncasecmp(s + from, *w, n) &&
			    (from == 0 || !isalnum((unsigned char)s[from - 1])) &&
			    !isalnum((unsigned char)s[from + n]))
				return true;
		}
	}
	return false;
}

/*
 * Labels that make a match something else when they stand just before it
 * (preceded_by): an order, tracking or booking number is no phone, and no
 * card either, whatever its shape; "version 1.2.3.4" and "버전 10.0.0.1" are
 * versions, not addresses; a product or order code can look like a passport
 * number.
 */
static const char *const not_phone[] = {"주문번호", "송장",     "운송장",  "예약번호", "회원번호",
                                        "order",    "tracking", "invoice", NULL};
static const char *const not_card[] = {"주문",  "주문번호", "송장",    "운송장", "택배",
                                       "등기",  "회원",     "예약",    "PIN",    "쿠폰",
                                       "order", "tracking", "invoice", NULL};
static const char *const not_ipv4[] = {"version", "ver",      "버전",   "빌드",
                                       "build",   "firmware", "펌웨어", NULL};
static const char *const not_passport[] = {"모델", "모델명", "품번", "제품", "상품",
                                           "코드", "주문",   "송장", "sku",  "model",
                                           "part", "order",  "item", NULL};

static bool
luhn(const char *s, size_t n)
{
	int sum = 0, digits = 0;

	for (size_t i = n; i-- > 0;) {
		if (!isdigit((unsigned char)s[i]))
			continue;
		int d = s[i] - '0';
		if (digits++ % 2 == 1)
			d = d * 2 > 9 ? d * 2 - 9 : d * 2;
		sum += d;
	}
	return digits >= 13 && digits <= 19 && sum % 10 == 0;
}

/*
 * A card number is written whole or in the groups cards print (4-4-4-4,
 * 4-6-5, 4-6-4, 4-4-4-4-3) with one kind of separator, and passes Luhn.
 */
static bool
card_ok(const char *s, size_t n)
{
	static const char *const layouts[] = {"4444", "465", "464", "44443", NULL};
	char groups[24];
	size_t ng = 0, run = 0;
	const char *sep = NULL; /* the first separator, " - " as much as "-" */
	size_t seplen = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && isdigit((unsigned char)s[i])) {
			run++;
			continue;
		}
		size_t j = i;
		while (j < n && !isdigit((unsigned char)s[j]))
			j++;
		if (j > i && sep && (j - i != seplen || memcmp(s + i, sep, seplen)))
			return false;
		if (j > i && !sep) {
			sep = s + i;
			seplen = j - i;
		}
		if (ng + 1 >= sizeof groups)
			return false;
		groups[ng++] = (char)(run < 10 ? '0' + run : 'x');
		run = 0;
		i = j > i ? j - 1 : i;
	}
	groups[ng] = 0;
	if (ng > 1) {
		const char *const *l = layouts;
		while (*l && strcmp(*l, groups))
			l++;
		if (!*l)
			return false;
	}
	return luhn(s, n);
}

static bool
ipv6_ok(const char *s, size_t n)
{
	char tmp[64];
	unsigned char addr[16];
	int groups = 0;

	if (n >= sizeof tmp)
		return false;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	/* At least two groups written out, so "a::b"-like words and "::" stay. */
	for (size_t i = 0; i < n; i++)
		if (isxdigit((unsigned char)s[i]) && (i == 0 || s[i - 1] == ':'))
			groups++;
	return groups >= 3 && inet_pton(AF_INET6, tmp, addr) == 1;
}

/* The month and day are already checked by the pattern; a day past the month's end is not. */
static bool
rrn_ok(const char *s, size_t n)
{
	static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int month = (s[2] - '0') * 10 + (s[3] - '0');
	int day = (s[4] - '0') * 10 + (s[5] - '0');

	return n >= 13 && day <= days[month - 1];
}

/* E.164 allows at most 15 digits; fewer than 8 is an expression such as "+1 2 3". */
static bool
e164_ok(const char *s, size_t n)
{
	size_t digits = 0;

	for (size_t i = 0; i < n; i++)
		digits += isdigit((unsigned char)s[i]) != 0;
	return digits >= 8 && digits <= 15;
}

/*
 * An account has 10 to 16 digits, and no other number's label stands
 * between the bank's name and it ("입금 확인, 주문번호 ...", a business's
 * registration number, a booking's date, a deadline).
 */
static bool
account_ok(const char *m, size_t n, const char *gap, size_t gaplen)
{
	static const char *const blockers[] = {"주문",   "송장",     "운송장", "등기",   "전화",
	                                       "연락처", "휴대",     "핸드폰", "사업자", "예약",
	                                       "기한",   "번호표",   "카드",   "금액",   "수수료",
	                                       "order",  "tracking", "phone",  "card",   NULL};
	size_t digits = 0;

	for (size_t i = 0; i < n; i++)
		digits += isdigit((unsigned char)m[i]) != 0;
	if (digits < 10 || digits > 16)
		return false;
	for (const char *const *b = blockers; *b; b++)
		if (memmem(gap, gaplen, *b, strlen(*b)))
			return false;
	return true;
}

/*
 * Whether m[0..n) is a word that stands where a name does: a role word
 * before an honorific (관리자님, 승무원님), or what may follow a label
 * instead of a name (예금주명이, 명의이전, 수령인 이름).
 */
static bool
role_word(const char *m, size_t n)
{
	static const char *const words[] = {
	    "사용자", "이용자", "구매자", "판매자", "주문자", "신청자", "작성자", "수령자",
	    "관리자", "담당자", "상담사", "상담원", "운영자", "기사분", "배송원", "보호자",
	    "가입자", "여러분", "선생님", "이사장", "부사장", "대표자", "소유자", "예약자",
	    "문의자", "회원분", "고객분", "방문자", "참가자", "지원자", "승무원", "경비원",
	    "집배원", "배달원", "안내원", "관리인", "간호사", "운전사", "지점장", "본부장",
	    "센터장", "매니저", "직원분", "기사님", "이름", "이전", "이번", "명이", "명은", "정보",
	    "변경", "확인", "등록", "본인", "명의", "동일", "상동", "직접", "미정", "없음", "고객",
	    "회원", "가족", "대표", "다른", "같은", "모두", "전부", "이상", "이하", "정확", "조회",
	    /* two syllables before 님 */
	    "고객", "회원", "기사", "선생", "사장", "부장", "과장", "대리", "팀장", "실장", "차장",
	    "소장", "점장", "원장", "교수", "이사", "반장", "사모", "이모", "고모", "주임", "부모",
	    "조교", "전무", "상무", "감독", "코치", "강사", "주인", "선배", "후배", "작가", "기장",
	    "목사", "신부", "장로", "집사", "권사", "사부", "도사", "형사", "판사", "검사", "변호",
	    "수석", "총무", "회장", "여사", "형수", "장모", "장인", "시장", "의원", "공주", "왕자",
	    "상담", "관리", "담당", "배송", "택배", "하객", "조카", NULL};

	for (const char *const *w = words; *w; w++)
		if (strlen(*w) == n && !memcmp(m, *w, n))
			return true;
	return false;
}

/*
 * Whether a pattern's candidate is a name: not a role word, and shaped
 * like one (lib/kname.h), since a label is followed by ordinary words as
 * often as by names (이름 변경은, 성함이요).
 */
static bool
name_ok(const char *m, size_t n)
{
	return !role_word(m, n) && ve_kname_plausible(m, n);
}

/*
 * Whether a number ends in eight zeros among its digits, as a form's example
 * does (010-0000-0000): no number is given out so.
 */
static bool
zeros_example(const char *m, size_t len)
{
	int zeros = 0;

	for (size_t i = len; i-- > 0 && zeros < 8;) {
		if (m[i] == '0')
			zeros++;
		else if (isdigit((unsigned char)m[i]))
			return false;
	}
	return zeros == 8;
}

/* The checks a pattern's match must also pass; ov holds its capture groups. */
static bool
check_ok(enum check c, const char *s, size_t from, size_t to, const PCRE2_SIZE *ov)
{
	const char *m = s + from;
	size_t len = to - from;

	switch (c) {
	case CHECK_LUHN: return card_ok(m, len) && !preceded_by(s, from, not_card, 24);
	case CHECK_IPV4: return !preceded_by(s, from, not_ipv4, 12);
	case CHECK_IPV6: return ipv6_ok(m, len);
	case CHECK_RRN: return rrn_ok(m, len);
	case CHECK_E164: return e164_ok(m, len) && !preceded_by(s, from, not_phone, 24);
	case CHECK_PHONE: return !preceded_by(s, from, not_phone, 24) && !zeros_example(m, len);
	case CHECK_PASSPORT: return !preceded_by(s, from, not_passport, 24);
	case CHECK_ACCOUNT: return account_ok(m, len, s + ov[2], ov[3] - ov[2]);
	case CHECK_NAME: return name_ok(m, len);
	case CHECK_NONE: break;
	}
	return true;
}

static bool
overlaps(const struct anon *a, size_t from, size_t to)
{
	for (size_t i = 0; i < a->nspans; i++)
		if (from < a->spans[i].to && a->spans[i].from < to)
			return true;
	return false;
}

static int
cmp_span(const void *x, const void *y)
{
	const struct span *a = x, *b = y;

	return a->from < b->from ? -1 : a->from > b->from;
}

/* One more masked span. */
static void
add_span(struct anon *a, size_t from, size_t to, enum kind kind)
{
	a->spans = ve_grow(a->spans, &a->cap, a->nspans + 1, sizeof *a->spans);
	a->spans[a->nspans++] = (struct span){from, to, kind};
}

/*
 * A match that overlaps spans of its own kind found before, and nothing
 * else, joins them into one span: 반곡동 and the complex after a word that
 * reads as a city (혁신도시푸르지오 9동 2002호), found by two patterns; the
 * spaced name 황보 상민 where a label's pattern took 황보 for a name.
 */
static void
widen(struct anon *a, size_t from, size_t to, enum kind kind)
{
	size_t keep = 0;

	for (size_t i = 0; i < a->nspans; i++)
		if (from < a->spans[i].to && a->spans[i].from < to && a->spans[i].kind != kind)
			return;
	for (size_t i = 0; i < a->nspans; i++) {
		const struct span *sp = &a->spans[i];
		if (from < sp->to && sp->from < to) {
			from = sp->from < from ? sp->from : from;
			to = sp->to > to ? sp->to : to;
		} else {
			a->spans[keep++] = *sp;
		}
	}
	a->nspans = keep;
	add_span(a, from, to, kind);
}

/* The licence regions by name, as their two-digit codes. */
static const char *const regions[][2] = {
    {"서울", "11"}, {"부산", "12"}, {"경기", "13"}, {"강원", "14"}, {"충북", "15"}, {"충남", "16"},
    {"전북", "17"}, {"전남", "18"}, {"경북", "19"}, {"경남", "20"}, {"제주", "21"}, {"대구", "22"},
    {"인천", "23"}, {"광주", "24"}, {"대전", "25"}, {"울산", "26"},
};

/* Long forms of the provinces an address may start with, and the short one. */
static const char *const provinces[][2] = {
    {"서울특별시", "서울"}, {"서울시", "서울"},         {"부산광역시", "부산"},
    {"대구광역시", "대구"}, {"인천광역시", "인천"},     {"광주광역시", "광주"},
    {"대전광역시", "대전"}, {"울산광역시", "울산"},     {"세종특별자치시", "세종"},
    {"경기도", "경기"},     {"강원특별자치도", "강원"}, {"강원도", "강원"},
    {"충청북도", "충북"},   {"충청남도", "충남"},       {"전북특별자치도", "전북"},
    {"전라북도", "전북"},   {"전라남도", "전남"},       {"경상북도", "경북"},
    {"경상남도", "경남"},   {"제주특별자치도", "제주"}, {"제주도", "제주"},
};

/* Appends s[0..n) with a leading entry of table[][0] written as its [1]. */
static void
add_mapped(struct ve_buf *out, const char *s, size_t n, const char *const (*table)[2],
           size_t ntable)
{
	for (size_t i = 0; i < ntable; i++) {
		size_t k = strlen(table[i][0]);
		if (k <= n && !memcmp(s, table[i][0], k)) {
			ve_buf_adds(out, table[i][1]);
			s += k;
			n -= k;
			break;
		}
	}
	ve_buf_add(out, s, n);
}

/* The digits of s, with +82 written as a leading 0 for phones. */
static void
add_digits(enum kind k, const char *s, size_t n, struct ve_buf *out)
{
	for (size_t i = 0; i < n; i++)
		if (isdigit((unsigned char)s[i]))
			ve_buf_addc(out, s[i]);
	if (k == PHONE && n && s[0] == '+' && out->len > 2 && memcmp(out->p, "82", 2) == 0) {
		size_t skip = out->p[2] == '0' ? 3 : 2;
		memmove(out->p + 1, out->p + skip, out->len - skip);
		out->p[0] = '0';
		out->len -= skip - 1;
	}
}

/*
 * The value as one person's, so each spelling gets one pseudonym: e-mail,
 * IP and passport case-folded; numbers as their digits (+82 as 0, a
 * licence's region name as its code); addresses without spaces and commas,
 * the province in its short form.
 */
static void
canonical(enum kind k, const char *s, size_t n, struct ve_buf *out)
{
	struct ve_buf tmp = {0};

	ve_buf_reset(out);
	switch (k) {
	case EMAIL:
	case IP:
	case PASSPORT:
		for (size_t i = 0; i < n; i++)
			ve_buf_addc(out, (char)tolower((unsigned char)s[i]));
		break;
	case LICENSE:
		add_mapped(&tmp, s, n, regions, sizeof regions / sizeof regions[0]);
		add_digits(k, tmp.p, tmp.len, out);
		break;
	case PHONE:
	case RRN:
	case CARD:
	case ACCOUNT: add_digits(k, s, n, out); break;
	case ADDRESS:
		for (size_t i = 0; i < n; i++)
			if (!strchr(" \t,", s[i]))
				ve_buf_addc(&tmp, s[i]);
		add_mapped(out, tmp.p ? tmp.p : "", tmp.len, provinces,
		           sizeof provinces / sizeof provinces[0]);
		break;
	default: ve_buf_add(out, s, n);
	}
	ve_buf_free(&tmp);
	if (!out->p)
		ve_buf_add(out, "", 0);
}

/*
 * a->lower: s[0..n) with ASCII letters in lower case, for patterns[].need;
 * returns what s holds, for patterns[].has.
 */
static unsigned
lower(struct anon *a, const char *s, size_t n)
{
	unsigned has = 0;
	size_t digits = 0, run = 0;

	ve_buf_reset(&a->lower);
	ve_buf_add(&a->lower, s, n);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)a->lower.p[i];
		if (c >= 'A' && c <= 'Z')
			a->lower.p[i] = (char)(c + 'a' - 'A');
		digits += c >= '0' && c <= '9';
		has |= c >= 0x80 ? HAS_WIDE : 0;
		has |= c == '@' ? HAS_AT : c == ':' || c == '=' ? HAS_ASSIGN : 0;
		run = isalnum(c) || c == '_' || c == '-' ? run + 1 : 0;
		has |= run >= 12 ? HAS_RUN12 : 0;
		/* 동 (EB 8F 99), or a digit, a dash and a digit: a unit may be there (101동,
		 * 6-2206) */
		if ((c == 0xEB && i + 2 < n && s[i + 1] == '\x8F' && s[i + 2] == '\x99') ||
		    (c == '-' && i > 0 && i + 1 < n && isdigit((unsigned char)s[i - 1]) &&
		     isdigit((unsigned char)s[i + 1])))
			has |= HAS_UNIT;
	}
	return has | (digits ? HAS_DIGIT : 0) | (digits >= 7 ? HAS_DIGITS7 : 0) |
	       (digits >= 10 ? HAS_DIGITS10 : 0);
}

/* Whether t[0..n) holds one of the words of need ('|' between them). */
static bool
holds_one(const char *t, size_t n, const char *need)
{
	for (const char *w = need; *w;) {
		size_t k = strcspn(w, "|");
		if (memmem(t, n, w, k))
			return true;
		w += k + (w[k] == '|');
	}
	return false;
}

/* Masks s[0..n) into a->out; returns the number of values masked. */
static size_t
mask(struct anon *a, const char *s, size_t n)
{
	/*
	 * PCRE2's JIT code reads the subject 16 bytes at a time, past its end:
	 * a copy with initialised padding keeps those reads inside memory we own.
	 */
	static const char pad[64];
	ve_buf_reset(&a->subject);
	ve_buf_add(&a->subject, s, n);
	ve_buf_add(&a->subject, pad, sizeof pad);
	s = a->subject.p;
	a->nspans = 0;
	unsigned has = lower(a, s, n);
	for (size_t p = 0; p < NPATTERNS; p++) {
		size_t at = 0;
		if ((patterns[p].has & ~has) ||
		    (patterns[p].need && !holds_one(a->lower.p, n, patterns[p].need)))
			continue;
		int found;
		while ((found = ve_re_find(a->re[p], a->md, a->mc, s, n, PCRE2_NO_UTF_CHECK,
		                           &at)) == 1) {
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(a->md);
			if (!check_ok(patterns[p].check, s, ov[0], ov[1], ov))
				continue;
			if (!overlaps(a, ov[0], ov[1]))
				add_span(a, ov[0], ov[1], patterns[p].kind);
			else if (patterns[p].kind == ADDRESS)
				widen(a, ov[0], ov[1], ADDRESS);
		}
		if (found < 0)
			a->unsearched = true;
	}
	/* Names in running text, past what the patterns found (lib/kname.h); Hangul only. */
	for (size_t at = 0, from, to; (has & HAS_WIDE) && ve_kname_next(s, n, &at, &from, &to);) {
		if (role_word(s + from, to - from))
			continue;
		if (!overlaps(a, from, to))
			add_span(a, from, to, NAME);
		else
			widen(a, from, to, NAME);
	}
	if (!a->nspans)
		return 0;
	qsort(a->spans, a->nspans, sizeof *a->spans, cmp_span);
	ve_buf_reset(&a->out);
	size_t at = 0;
	for (size_t i = 0; i < a->nspans; i++) {
		const struct span *sp = &a->spans[i];
		ve_buf_add(&a->out, s + at, sp->from - at);
		ve_buf_addc(&a->out, '<');
		ve_buf_adds(&a->out, kind_names[sp->kind]);
		if (a->salt) {
			unsigned char mac[EVP_MAX_MD_SIZE];
			unsigned int maclen = 0;
			char hex[2 * EVP_MAX_MD_SIZE + 1];
			canonical(sp->kind, s + sp->from, sp->to - sp->from, &a->canon);
			if (!HMAC(EVP_sha256(), a->salt, (int)a->salt_len,
			          (const unsigned char *)a->canon.p, a->canon.len, mac, &maclen))
				ve_die(VE_EX_SOFTWARE, "HMAC-SHA256 failed");
			ve_hex(mac, 4, hex);
			ve_buf_addf(&a->out, ":%s", hex);
		}
		ve_buf_addc(&a->out, '>');
		a->count[sp->kind]++;
		at = sp->to;
	}
	ve_buf_add(&a->out, s + at, n - at);
	return a->nspans;
}

/*
 * Masks the string whose JSON literal, quotes included, is lit[0..len), in a
 * record libjq has accepted: a literal without a backslash holds its string
 * as it stands (the reader has refused invalid UTF-8, raw NULs and control
 * characters), and libjq decodes the others.
 */
static size_t
mask_literal(struct anon *a, const char *lit, size_t len)
{
	if (!memchr(lit + 1, '\\', len - 2))
		return mask(a, lit + 1, len - 2);
	jv v = jv_parse_sized(lit, (int)len);
	size_t k = mask(a, jv_string_value(v), (size_t)jv_string_length_bytes(jv_copy(v)));
	jv_free(v);
	return k;
}

/* Where the record is in its objects and arrays, for --field. */
struct frame {
	bool object;
	bool expect_key;
	const char *key; /* the key's JSON literal, quotes included */
	size_t key_len;
	long index;
};

/* The path of the value at the top of the stack, as jq writes paths. */
static jv
path_of(const struct frame *st, int depth)
{
	jv p = jv_array();

	for (int i = 0; i < depth; i++) {
		if (st[i].object)
			p = jv_array_append(p, jv_parse_sized(st[i].key, (int)st[i].key_len));
		else
			p = jv_array_append(p, jv_number((double)st[i].index));
	}
	return p;
}

/* Whether some selected path is a prefix of path (both borrowed). */
static bool
selected(jv sel, jv path)
{
	int np = jv_array_length(jv_copy(path));
	int ns = jv_array_length(jv_copy(sel));

	for (int i = 0; i < ns; i++) {
		jv s = jv_array_get(jv_copy(sel), i);
		int n = jv_array_length(jv_copy(s));
		bool prefix = n <= np;
		for (int j = 0; prefix && j < n; j++)
			prefix =
			    jv_equal(jv_array_get(jv_copy(s), j), jv_array_get(jv_copy(path), j));
		jv_free(s);
		if (prefix)
			return true;
	}
	return false;
}

/*
 * Whether the value at the top of the stack is selected, when every path of
 * sel (borrowed) is one top-level key (-f .text) and the value's top-level
 * key is written without escapes: 1 or 0, compared as bytes; -1 when the
 * paths must be built and compared as jq values.
 */
static int
top_selected(jv sel, const struct frame *st, int depth)
{
	if (depth < 1 || !st[0].object || memchr(st[0].key, '\\', st[0].key_len))
		return -1;
	const char *k = st[0].key + 1;
	size_t klen = st[0].key_len - 2;
	int n = jv_array_length(jv_copy(sel)), found = 0;

	for (int i = 0; i < n && found >= 0; i++) {
		jv p = jv_array_get(jv_copy(sel), i);
		if (jv_array_length(jv_copy(p)) != 1) {
			found = -1;
		} else {
			jv key = jv_array_get(jv_copy(p), 0);
			if (jv_get_kind(key) != JV_KIND_STRING)
				found = -1;
			else if ((size_t)jv_string_length_bytes(jv_copy(key)) == klen &&
			         !memcmp(jv_string_value(key), k, klen))
				found = 1;
			jv_free(key);
		}
		jv_free(p);
		if (found == 1)
			break;
	}
	return found;
}

/*
 * Writes the record line with its string values masked; sel (consumed) is
 * the array of selected paths, or null for every string. Returns the
 * number of values masked, or -1 for a record nested too deep to follow
 * (deeper than libjq's parser allows, so only a defence), or -2 when a
 * pattern could not finish searching one of its strings (PCRE2's match,
 * depth or JIT stack limit), which then must not be written unmasked.
 */
static long
mask_line(struct anon *a, const char *line, size_t len, jv sel, struct ve_buf *out)
{
	struct frame st[512];
	int depth = 0;
	size_t masked = 0, i = 0, copied = 0;
	bool all = jv_get_kind(sel) == JV_KIND_NULL;

	a->unsearched = false;
	ve_buf_reset(out);
	while (i < len) {
		char c = line[i];
		if (c == '"') {
			size_t j = i + 1;
			while (j < len && line[j] != '"')
				j += line[j] == '\\' ? 2 : 1;
			j++;
			bool key = depth && st[depth - 1].object && st[depth - 1].expect_key;
			if (key) {
				st[depth - 1].key = line + i;
				st[depth - 1].key_len = j - i;
			} else {
				int top = all ? 1 : top_selected(sel, st, depth);
				bool want = top == 1;
				if (top < 0) {
					jv path = path_of(st, depth);
					want = selected(sel, path);
					jv_free(path);
				}
				if (want) {
					size_t k = mask_literal(a, line + i, j - i);
					if (k) {
						ve_buf_add(out, line + copied, i - copied);
						ve_buf_add_json_str(out, a->out.p, a->out.len);
						copied = j;
						masked += k;
					}
				}
			}
			i = j;
			continue;
		}
		switch (c) {
		case '{':
		case '[':
			if (depth == (int)(sizeof st / sizeof st[0])) {
				jv_free(sel);
				return -1;
			}
			st[depth++] = (struct frame){c == '{', c == '{', NULL, 0, 0};
			break;
		case '}':
		case ']': depth--; break;
		case ',':
			if (st[depth - 1].object)
				st[depth - 1].expect_key = true;
			else
				st[depth - 1].index++;
			break;
		case ':': st[depth - 1].expect_key = false; break;
		}
		i++;
	}
	ve_buf_add(out, line + copied, len - copied);
	jv_free(sel);
	return a->unsearched ? -2 : (long)masked;
}

/*
 * The --field paths of rec (consumed): an array, null without --field, or
 * an invalid jv whose message is why there are none. jq's own message is
 * not the reason: it may quote the record (tonumber, error, "Cannot iterate
 * over string (...)"), and no record text may reach a message.
 */
static jv
fields_of(struct anon *a, jv rec)
{
	jv all = a->nfields ? jv_array() : jv_null();

	for (int i = 0; i < a->nfields; i++) {
		if (jv_get_kind(a->simple[i]) == JV_KIND_ARRAY && simple_ok(rec, a->simple[i])) {
			all = jv_array_append(all, jv_copy(a->simple[i]));
			continue;
		}
		if (!a->fields[i])
			field_compile(a, i);
		jv p = ve_jq_first(a->fields[i], jv_copy(rec));
		if (jv_is_valid(p)) {
			all = jv_array_concat(all, p);
			continue;
		}
		jv msg = jv_invalid_get_msg(p);
		bool has = jv_get_kind(msg) == JV_KIND_STRING;
		jv_free(msg);
		jv_free(all);
		all = jv_invalid_with_msg(
		    has ? jv_string_fmt("--field %s: jq error (its message is withheld: it may "
		                        "quote the record)",
		                        a->exprs[i])
		        : jv_string("--field: no value"));
		break;
	}
	jv_free(rec);
	return all;
}

/* With -v: "read N, changed M; masked email 1, phone 0, ..." on stderr. */
static void
report_counts(const struct anon *a, unsigned long long read, unsigned long long changed)
{
	struct ve_buf b = {0};

	for (int k = 0; k < NKINDS; k++) {
		ve_buf_adds(&b, k ? ", " : "");
		for (const char *p = kind_names[k]; *p; p++)
			ve_buf_addc(&b, (char)tolower((unsigned char)*p));
		ve_buf_addf(&b, " %llu", a->count[k]);
	}
	ve_warn("read %llu, changed %llu; masked %s", read, changed, b.p);
	ve_buf_free(&b);
}

/*
 * Whether --field needs the records' values: a jq expression or a path of
 * more than one key does; with none, or only top-level keys (-f .text), the
 * text of a valid record is all ds-anon reads.
 */
static bool
needs_values(const struct anon *a)
{
	for (int i = 0; i < a->nfields; i++)
		if (jv_get_kind(a->simple[i]) != JV_KIND_ARRAY ||
		    jv_array_length(jv_copy(a->simple[i])) != 1)
			return true;
	return false;
}

static int
run(const struct opts *o, char **files, int nfiles)
{
	struct anon a;
	struct ve_reader *rd = NULL;
	struct ve_rec rec;
	struct ve_buf out = {0};
	unsigned long long read = 0, changed = 0;
	int r, rc = 0;

	anon_init(&a, o);
	if (o->salt_file && (rc = read_salt(o->salt_file, &a)))
		goto out;
	rd = ve_reader_new(files, nfiles, &o->cli, needs_values(&a) ? 0 : VE_READ_CHECKED);
	while ((r = ve_reader_next(rd, &rec)) == 1) {
		jv sel = fields_of(&a, rec.value);
		if (!jv_is_valid(sel)) {
			jv msg = jv_invalid_get_msg(sel);
			rc = ve_reader_reject(rd, &rec, jv_string_value(msg));
			jv_free(msg);
			if (rc)
				goto out;
			continue;
		}
		long k = mask_line(&a, rec.line.text, rec.line.len, sel, &out);
		if (k < 0) {
			if ((rc = ve_reader_reject(rd, &rec,
			                           k == -1
			                               ? "nested too deep"
			                               : "a pattern could not finish searching a "
			                                 "string (PCRE2's limits): not written "
			                                 "unmasked")))
				goto out;
			continue;
		}
		read++;
		if (k)
			changed++;
		ve_out_line(out.p ? out.p : "", out.len);
	}
	rc = r;
out:
	if (o->cli.verbose)
		report_counts(&a, read, changed);
	int rc2 = ve_reader_free(rd);
	if (!rc)
		rc = rc2;
	ve_buf_free(&out);
	anon_free(&a);
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts o = {0};
	int rc;

	ve_setprogname(argv);
	ve_out_init();
	parse_args(argc, argv, &o);
	rc = run(&o, argv + optind, argc - optind);
	free(o.fields);
	return ve_out_finish(rc);
}
