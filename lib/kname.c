/*
 * Korean personal names: a family name, given-name syllables and the
 * context around them. See lib/kname.h for the rules and their limits.
 */
#include "kname.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "diag.h"

#define SYL 3 /* bytes of a Hangul syllable in UTF-8 */

/*
 * A set of syllables (a string of them, as the tables below) and the bitmap
 * over the 11,172 Hangul syllables that in_syls reads, filled at its first
 * use.
 */
struct syls {
	const char *set;
	size_t len;
	bool ready;
	unsigned char bits[(11172 + 7) / 8];
};

/*
 * The tables. Syllable sets are strings of syllables and word lists are
 * arrays, both in code-point (byte) order: they are searched by bisection.
 */
static const char family_common[] = "강고공곽구국권금기길김나남노도류맹명문민박반방배"
                                    "백변서석선설성소손송신심안양엄여연염오옥왕우원위"
                                    "유육윤이인임장전정조주지진차채천최추탁표하한함허"
                                    "현홍황";
static struct syls S_family_common = {.set = family_common, .len = sizeof family_common - 1};
static const char family_rare[] = "가간감견경계두라마모목범복봉부빈사상승시어예온용은음"
                                  "제좌태팽편피형호화";
static struct syls S_family_rare = {.set = family_rare, .len = sizeof family_rare - 1};
static const char *const family_two[] = {
    "남궁", "독고", "동방", "사공", "서문", "선우", "제갈", "황보",
};
static const char given[] = "가각간갑강건걸겨결겸경계고곤공관광교구국군권규균그"
                            "근금기길나난남내녕노누늘다단달담당대덕도돈동두득든들"
                            "또라락란람랑래량려련렬령례로록롬롱뢰료룡루류륜률름"
                            "리린림립마만말망매맹면명모목몽묘무문미민믿밀바박반"
                            "발방배백범법벼벽변별병보복본봄봉부분비빈빛쁨사산살"
                            "삼상새샘샛생서석선설섬섭성세소솔솜송수숙순술숭슬승"
                            "시식신실심아안애야양어언엄업여연열염엽영예오옥온완"
                            "왕용우욱운울웅원월위유육윤율융은을음읍응의이익인일"
                            "임입자잔장재점정제조종주준중즙지직진찬찰창채천철첨"
                            "청초총추춘충치친칠탁탄태택토판팔평표풍필하학한함항"
                            "해핵햇행향허헌혁현협형혜호홍화환활황회효후훈휘휴흔"
                            "흠흥희힘녀막귀";
static struct syls S_given = {.set = given, .len = sizeof given - 1};
static const char *const stop[] = {
    "가게",   "가격",   "가격은",   "가격을", "가격이",   "가구",     "가능",     "가능한",
    "가락동", "가방",   "가수",     "가입",   "가입비",   "가입자",   "가정",     "가족",
    "가족관", "가평군", "간단",     "감독님", "감사",     "강남",     "강남구",   "강남역",
    "강동",   "강동구", "강변역",   "강북",   "강북구",   "강사님",   "강서",     "강서구",
    "강아지", "강원",   "강원도",   "강의",   "강의실",   "강좌",     "강화",     "개포동",
    "거여동", "건국대", "검사님",   "경기",   "경로",     "경매",     "경비",     "경비실",
    "경우",   "경찰",   "경희대",   "고객",   "고객님",   "고객명",   "고객센",   "고객용",
    "고구마", "고급",   "고기",     "고덕동", "고려대",   "고려인",   "고모님",   "고무",
    "고민",   "고속",   "고양시",   "고양이", "고장",     "고장난",   "고장이",   "고정",
    "고정비", "고지서", "고추장",   "공간",   "공구",     "공급",     "공기",     "공동",
    "공무원", "공병",   "공사",     "공식",   "공연",     "공연장",   "공유",     "공유기",
    "공인인", "공정",   "공지",     "공차에", "공항",     "과장님",   "과천시",   "관악구",
    "광교역", "광명시", "광운대",   "광주시", "광주역",   "광진구",   "교대역",   "교수님",
    "교촌치", "구간",   "구글에",   "구독",   "구두",     "구로구",   "구로역",   "구리시",
    "구매",   "구매가", "구매내",   "구매를", "구매자",   "구매한",   "구명조끼", "구성",
    "구성역", "구여권", "구역",     "구입비", "구조",     "국간장",   "국내",     "국민",
    "국민대", "국민은", "국민카",   "국수",   "국제",     "굽네치",   "권리금",   "권사님",
    "권한",   "금리",   "금방",     "금액",   "금액은",   "금액을",   "금액이",   "금융",
    "금지",   "금천구", "기간",     "기간은", "기간을",   "기간이",   "기계",     "기관",
    "기념",   "기능",   "기다리",   "기대",   "기록",     "기름",     "기본",     "기부",
    "기분",   "기사",   "기사님",   "기술",   "기업",     "기업은",   "기장님",   "기존",
    "기준",   "기차",   "기타",     "기한",   "기회",     "기흥역",   "길동역",   "길이",
    "김밥",   "김장",   "김장철",   "김치",   "김치찌",   "김포공",   "김포시",   "나는",
    "나중",   "남동",   "남동생",   "남방",   "남부",     "남양주",   "남은",     "남은건",
    "남자",   "남자친", "남친",     "남편",   "내가",     "내용",     "네네치",   "네이버",
    "노랑통", "노선",   "노선도",   "노원구", "노트",     "노트북",   "농협은",   "다음에",
    "담당자", "당근마", "대리님",   "대전역", "대치동",   "던킨도",   "도곡동",   "도로",
    "도로명", "도면",   "도미노",   "도배",   "도봉구",   "도서",     "도서관",   "도시",
    "도시락", "도어락", "도와주",   "도움",   "도착",     "도착일",   "도착한",   "도착했",
    "동국대", "동네",   "동대구",   "동대문", "동두천",   "동생",     "동생이",   "동안",
    "동영상", "동의",   "동일",     "동작구", "두자리",   "둔촌동",   "또래오",   "뚜레쥬",
    "라인에", "롯데리", "롯데마",   "롯데카", "마감",     "마늘",     "마음",     "마지막",
    "마천동", "마켓컬", "마포구",   "만료",   "만료일",   "만원",     "맘스터",   "망포역",
    "매니저", "매탄동", "맥도날",   "맹세",   "맹장",     "메가커",   "멕시카",   "명단",
    "명동역", "명세",   "명세서",   "명의",   "명의자",   "명일동",   "명절",     "명지대",
    "명함",   "모기장", "모델",     "모두",   "모든",     "모란역",   "모바",     "모자",
    "목사님", "무신사", "문구",     "문서",   "문의",     "문의가",   "문의드",   "문의를",
    "문의한", "문자",   "문정동",   "문제",   "문제가",   "문제를",   "문화",     "문화상품권",
    "미금역", "미사역", "미스터",   "민소매", "민원",     "민원실",   "바른치",   "박람회",
    "박하",   "박하향", "반납",     "반려",   "반송",     "반영",     "반장님",   "반지",
    "반찬",   "반품",   "반품비",   "반품을", "반품이",   "반품한",   "방금",     "방문",
    "방문일", "방문한", "방배동",   "방법",   "방석",     "방식",     "방이동",   "방한",
    "방향",   "배관",   "배달",     "배달비", "배달의",   "배달지",   "배민에",   "배송",
    "배송된", "배송비", "배송은",   "배송을", "배송이",   "배송일",   "배송중",   "배송지",
    "배스킨", "배우",   "배추",     "배터",   "백미",     "백신",     "백화",     "백화점",
    "버거킹", "번개장", "변경",     "변경된", "변경을",   "변경이",   "변경해",   "변기",
    "변동",   "변비",   "변환본",   "보정역", "복정역",   "봉지",     "부가",     "부가세",
    "부분",   "부산",   "부산역",   "부서",   "부장님",   "부재시",   "부재중",   "부족",
    "부천시", "부탁",   "부탁드",   "부탁해", "비비큐",   "빈병",     "빽다방",   "사당역",
    "사람",   "사모님", "사장님",   "삼성동", "삼성카",   "상갈역",   "상담",     "상담원",
    "상명대", "상일동", "상태",     "새마을", "서대문",   "서류",     "서명",     "서명란",
    "서브웨", "서비",   "서비스",   "서식",   "서울",     "서울대",   "서울역",   "서초구",
    "서초동", "서현역", "석류",     "석유",   "석자",     "석촌동",   "선릉역",   "선물",
    "선반",   "선배",   "선배님",   "선생님", "선예매",   "선착",     "선택",     "선풍기",
    "설마",   "설명",   "설명서",   "설문지", "설정",     "설치",     "설치비",   "성공",
    "성균관", "성남시", "성내동",   "성동구", "성명",     "성북구",   "성심당",   "성인",
    "성인용", "성함",   "성함은",   "성형",   "세종대",   "소고기",   "소금",     "소리",
    "소식",   "소장님", "소화기",   "손님",   "손님이",   "손목",     "손수건",   "송금",
    "송금을", "송금이", "송금한",   "송이",   "송장",     "송파구",   "송파동",   "수내역",
    "수령",   "수령인", "수령일",   "수령자", "수리",     "수서동",   "수서역",   "수석님",
    "수수",   "수요",   "수원시",   "수정",   "수정을",   "수정해",   "수준",     "수취인",
    "수협은", "숭실대", "스타벅",   "승인",   "시간",     "시간대",   "시간은",   "시간을",
    "시간이", "시스",   "시작",     "시장",   "시장님",   "시청역",   "시흥시",   "신갈역",
    "신고",   "신고서", "신고용",   "신규",   "신규가",   "신규로",   "신규회원", "신도림",
    "신림역", "신문",   "신발",     "신발장", "신부님",   "신분",     "신분증",   "신상",
    "신선",   "신세",   "신세계",   "신여권", "신용",     "신용도",   "신용카",   "신입",
    "신입생", "신청",   "신청금",   "신청서", "신청을",   "신청이",   "신청인",   "신청자",
    "신청한", "신청했", "신촌역",   "신한",   "신한은",   "신한카",   "신협에",   "실장님",
    "심부름", "심사",   "심야",     "아들",   "안경",     "안내",     "안내대",   "안내를",
    "안내문", "안내서", "안내해",   "안녕",   "안마",     "안마기",   "안산시",   "안성시",
    "안심",   "안양시", "안전",     "안주",   "암사동",   "압구정",   "야탑역",   "양도인",
    "양말",   "양문형", "양산",     "양수인", "양식",     "양재역",   "양주시",   "양천구",
    "양평군", "어린이", "어린이집", "언니가", "엄마",     "엄마가",   "엄지발",   "여권",
    "여기",   "여름",   "여부",     "여사님", "여자친",   "여주시",   "여친",     "여행",
    "여행지", "역삼동", "연결",     "연결이", "연고",     "연기",     "연락",     "연락을",
    "연락이", "연락처", "연말",     "연세대", "연장",     "연장선",   "연천군",   "연체",
    "연체료", "연필",   "연휴",     "영등포", "영수",     "영수증",   "영업",     "영통역",
    "영화",   "예복",   "예약자",   "오고",   "오금동",   "오늘",     "오늘도",   "오늘은",
    "오류",   "오리역", "오배송",   "오빠가", "오산시",   "오이",     "오전",     "오직",
    "오후",   "옥상",   "옥션에",   "옥수수", "온라",     "왕만두",   "왕복",     "요금",
    "요기요", "용기",   "용도",     "용량",   "용산구",   "용산역",   "용인시",   "우대",
    "우리",   "우리은", "우리카",   "우산",   "우선",     "우수",     "우유",     "우체국",
    "우편",   "우편번", "원두",     "원래",   "원목",     "원인",     "원장님",   "원천동",
    "원하",   "원하는", "위례동",   "위메프", "위생",     "위치",     "유료",     "유리",
    "유리창", "유선",   "유아용",   "유지",   "유튜브",   "유학원",   "유효",     "윤리",
    "윤활유", "은박",   "은평구",   "은행",   "을지로",   "의왕시",   "의원님",   "의정부",
    "이고요", "이내",   "이동",     "이동통", "이디야",   "이라고",   "이라는",   "이름",
    "이름은", "이름이", "이마트",   "이메",   "이메일",   "이모님",   "이미",     "이미지",
    "이번",   "이번달", "이번에",   "이번주", "이벤",     "이사",     "이사님",   "이상",
    "이야기", "이용",   "이용권",   "이용료", "이용법",   "이용을",   "이용자",   "이용중",
    "이용한", "이월",   "이유",     "이유식", "이율",     "이자율",   "이전",     "이전에",
    "이천시", "이체",   "이체가",   "이체를", "이체한",   "이태원",   "이하",     "이화여",
    "이후",   "인가",   "인도장",   "인상",   "인스타",   "인증",     "인증서",   "인터",
    "인형",   "일원동", "임대",     "임대료", "임시",     "임시직",   "임신",     "입금",
    "자담치", "작가님", "잠실역",   "장갑",   "장기",     "장로님",   "장미",     "장바",
    "장바구", "장보기", "장소",     "장애",   "장어",     "장우산",   "장지동",   "장화",
    "저는",   "저도",   "전국",     "전기",   "전기세",   "전기장판", "전달",     "전복",
    "전부",   "전세",   "전송",     "전시회", "전용",     "전원",     "전월세",   "전자",
    "전체",   "전화",   "전화가",   "전화기", "전화를",   "전화번",   "전화했",   "점장님",
    "정가",   "정관장", "정규직",   "정기",   "정기결",   "정기구독", "정기권",   "정기배",
    "정도",   "정류장", "정리",     "정말",   "정말로",   "정보",     "정보가",   "정보를",
    "정산",   "정산기", "정산서",   "정상",   "정상인",   "정상적",   "정수",     "정수기",
    "정원",   "정원수", "정자역",   "정장",   "정지",     "정책",     "정확",     "정회원",
    "제가",   "제공",   "제발",     "제주",   "제주도",   "제품",     "제한",     "조건",
    "조건부", "조금",   "조금만",   "조금은", "조리법",   "조리원",   "조립",     "조명",
    "조미료", "조사서", "조식",     "조정",   "조치",     "조회",     "조회가",   "조회를",
    "조회수", "조회해", "종각역",   "종로구", "주간",     "주로",     "주말",     "주문",
    "주문건", "주문서", "주문을",   "주문이", "주문자",   "주문한",   "주문했",   "주민등",
    "주민번", "주방",   "주방용",   "주소",   "주소가",   "주소는",   "주소로",   "주소를",
    "주소지", "주유",   "주유소",   "주의",   "주인님",   "주인분",   "주임님",   "주차",
    "죽전역", "중고나", "중랑구",   "중앙대", "지갑",     "지금",     "지금은",   "지급",
    "지난",   "지난달", "지난주",   "지마켓", "지역",     "지연",     "지연이",   "지원",
    "지원금", "지점",   "지정",     "지코바", "지하철",   "직원",     "진공",     "진료",
    "진료비", "진열",   "진행",     "진행이", "진행중",   "진행해",   "집사님",   "차단",
    "차라리", "차량",   "차량용",   "차이",   "차장님",   "차표",     "채소",     "채식",
    "처갓집", "천원",   "천호동",   "청담동", "청량리",   "청명역",   "총무님",   "최고",
    "최근",   "최근에", "최대",     "최대로", "최대한",   "최소",     "최소한",   "최신형",
    "최우수", "최저",   "최종",     "최초",   "추가",     "추가금",   "추가비",   "추간판",
    "추석",   "추천",   "추천인",   "취소가", "취소를",   "치킨플",   "카카오",   "커피빈",
    "케이뱅", "코치님", "쿠팡이",   "탁자",   "탐앤탐",   "택배",     "토스뱅",   "투썸플",
    "트위터", "티몬에", "팀장님",   "파리바", "파스쿠",   "파주시",   "파파존",   "판사님",
    "페리카", "페이스", "편지",     "편지지", "평택시",   "포천시",   "표고",     "표시",
    "표준",   "표지판", "푸라닭",   "피부",   "피자",     "피자헛",   "하나",     "하나은",
    "하나카", "하남시", "하루",     "하수구", "하원",     "하필",     "한국",     "한국어",
    "한국인", "한남동", "한달",     "한도",   "한도가",   "한번",     "한번더",   "한번만",
    "한복",   "한식",   "한양대",   "한우",   "한우세트", "한정",     "한정판",   "한화",
    "할리스", "함께",   "함박",     "함부로", "허락",     "현관",     "현관문",   "현금",
    "현대",   "현대카", "현재",     "현황표", "형사님",   "호랑이",   "호식이",   "홈플러",
    "홍대",   "홍대입", "홍보",     "홍삼",   "홍익대",   "화면",     "화성시",   "확인",
    "확인을", "확인이", "확인해",   "환불",   "환불을",   "환불이",   "환불해",   "환전",
    "황금",   "황당",   "황사",     "회원",   "회원가",   "회원권",   "회원님",   "회장님",
    "효과",   "후기",   "후배님",   "후불",
};

/*
 * The Korean Hunspell dictionary's words of two to five syllables, in byte
 * order (lib/kname-words.py writes them): 정보, 배우자, 설계사, 주차장.
 * Unlike the stoplist's, such a word may still be a name when a title only
 * a name takes or a label says so (박정희 님, 예약자 박정희): the
 * dictionary holds a few people too.
 */
static const char dict[][16] = {
#include "kname-words.inc"
};

/* Syllables that make a verb of the noun before them: 신청해도, 변경하라고, 배정된. */
static const char verb_syl[] = "돼됐되된될됨하학한할함합해했";
static struct syls S_verb_syl = {.set = verb_syl, .len = sizeof verb_syl - 1};

/* Last syllables of the words for a role or trade: 설계사, 주무관, 연구원, 신청자. */
static const char agent_syl[] = "가관사생수원인자장주직";
static struct syls S_agent_syl = {.set = agent_syl, .len = sizeof agent_syl - 1};

/* Given-name syllables that also count things after a number word (한 명, 세 번, 두 장). */
static const char counter_syl[] = "개건곳권달대명번분살세시원잔장주차층통편";
static struct syls S_counter_syl = {.set = counter_syl, .len = sizeof counter_syl - 1};

/* Syllables that end a place, a charge, a day, a class, a prize or a certificate made of a
 * noun: 정자동, 강남역, 수수료, 결제액, 부담금, 주문일, 주말반, 우수상, 등록증, 연락망,
 * 변환본, 공지문, 현황표, and a state: 방치중 (not 건, 비, 서 or 지, which end given names: 진동건,
 * 최단비, 이민서, 이은지). */
static const char suffix_syl[] = "금동료망명문반본상액역일점중증표";
static struct syls S_suffix_syl = {.set = suffix_syl, .len = sizeof suffix_syl - 1};

/* Last syllables of linking endings (하려고, 정도면, 보려며) and of -아서/-어서 (지나서, 길어서).
 */
static const char linking_syl[] = "고려며면";
static struct syls S_linking_syl = {.set = linking_syl, .len = sizeof linking_syl - 1};
static const char conj_syl[] = "나러아어여와워해";
static struct syls S_conj_syl = {.set = conj_syl, .len = sizeof conj_syl - 1};

/* Last syllables of a place's name: 성수동, 나성동, 강남구, 서초역. */
static const char place_syl[] = "구군길동면시역읍점";
static struct syls S_place_syl = {.set = place_syl, .len = sizeof place_syl - 1};

/* What comes before 은 in given names (하은, 가은, 지은, 예은): not 인원은. */
static const char before_eun[] = "가나다민서세소수시연예유윤은주지채하현혜";
static struct syls S_before_eun = {.set = before_eun, .len = sizeof before_eun - 1};

/* Given names of one syllable that common words seldom end in: 김혁이랑, 박준 010-... */
static const char given_only[] = "결린빈솔욱웅율준찬철혁훈";
static struct syls S_given_only = {.set = given_only, .len = sizeof given_only - 1};

/* Family-name syllables that also stand before a noun: 이 문장, 전 학교, 구 여권, 나 어제,
 * 위 대화. */
#define NOUN_PREFIX "구나신위이전제현"
static struct syls S_NOUN_PREFIX = {.set = NOUN_PREFIX, .len = sizeof NOUN_PREFIX - 1};

/* The words of the digits read out: 공 일 이 삼 사 오 육 칠 팔 구, and 영. */
#define DIGIT_SYL "공구사삼영오육이일칠팔"
static struct syls S_DIGIT_SYL = {.set = DIGIT_SYL, .len = sizeof DIGIT_SYL - 1};

/* Syllables that are particles on their own, in code-point order. */
#define JOSA_SYL "가는도로를만와을의이"
static struct syls S_JOSA_SYL = {.set = JOSA_SYL, .len = sizeof JOSA_SYL - 1};

/* Syllables that end a quoted sentence before 고 (한다고, 뭐라고, 하냐고; not 김경자고). */
#define QUOTE_SYL "냐다라"
static struct syls S_QUOTE_SYL = {.set = QUOTE_SYL, .len = sizeof QUOTE_SYL - 1};

/* Last syllables of a verb made honorific (오실, 가신, 전하시): no given name ends so. */
#define HONVERB_SYL "셔셨시신실십"
static struct syls S_HONVERB_SYL = {.set = HONVERB_SYL, .len = sizeof HONVERB_SYL - 1};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Particles and the copula that may follow a name, glued to it, in byte order. */
static const char *const josa[] = {
    "가",     "고",     "과",     "까지", "까지도", "까지만", "꺼",     "껀",     "께",
    "께도",   "께서",   "나",     "네",   "는",     "대로",   "도",     "라도",   "랑",
    "로",     "를",     "만",     "만은", "부터",   "부터도", "야",     "에게",   "에게는",
    "에게도", "에게만", "에게서", "에서", "에서는", "에서도", "와",     "요",     "으로",
    "은",     "을",     "의",     "이",   "이가",   "이고",   "이께서", "이나",   "이네",
    "이네요", "이는",   "이도",   "이든", "이라도", "이랑",   "이를",   "이며",   "이야",
    "이었고", "이에게", "이와",   "이요", "이의",   "이죠",   "이지",   "이하고", "이한테",
    "임",     "조차",   "하고",   "한테", "한테는", "한테도", "한테만", "한테서",
};

/* The copula's stems: 입니다, 이에요, 이라고, 인데요, 이었어요, 이세요 ... */
static const char *const copula[] = {
    "입니", "이에", "이예", "예요", "이라", "라고", "라는", "인데", "이었",
    "세요", "이시", "이십", "였",   "이세", "이신", "인가", "인지", "이구",
    "이거", "이랍", "이란", "라서", "라면", "라니", "임다", "이유", "이고",
};

/* Honorifics and titles after a name, glued or as the next word. */
static const char *const honor[] = {
    "님",     "씨",     "고객님", "고객",   "회원님",   "회원",   "과장",   "대리",   "팀장",
    "부장",   "차장",   "실장",   "사원",   "주임",     "선생님", "선생",   "교수님", "교수",
    "기사님", "매니저", "원장",   "사장",   "대표",     "드림",   "올림",   "배상",   "명의",
    "앞",     "앞으로", "귀하",   "선수",   "양",       "군",     "박사",   "손님",   "상무",
    "전무",   "이사",   "본부장", "센터장", "점장",     "소장",   "책임",   "선임",   "수석",
    "연구원", "간호사", "작가",   "감독",   "의원",     "변호사", "세무사", "학생",   "환자",
    "어린이", "님께",   "선배",   "후배",   "배우",     "가수",   "상담원", "상담사", "어머님",
    "아버님", "어머니", "아버지", "할머니", "할아버지", "엄마",   "아빠",   "외",     "포함",
    "본인",
};

/* Labels and relations before a name (성함: 김민수, 엄마 김민수), in code-point order. */
static const char *const before[] = {
    "가입자",     "가족",       "가해자",   "계약자",   "고객",     "고객님",   "고객명",
    "고모",       "고용주",     "과장",     "관리자",   "구매자",   "근로자",   "기사",
    "기사님",     "남동생",     "남자",     "남자친구", "남친",     "남편",     "누나",
    "담당",       "담당자",     "담임",     "대리",     "대리인",   "대표",     "대표자",
    "동료",       "동반자",     "동생",     "동행자",   "딸",       "매니저",   "며느리",
    "명의인",     "명의자",     "받는분",   "받는사람", "받는이",   "받은분",   "발신인",
    "배우자",     "법정대리인", "보내는분", "보낸분",   "보낸사람", "보낸이",   "보증인",
    "보험계약자", "보호자",     "본인",     "부모님",   "부인",     "부장",     "분",
    "사용자",     "사위",       "사장",     "사장님",   "삼촌",     "상대방",   "상사",
    "상속인",     "선배",       "선생님",   "성명",     "성함",     "세대원",   "세대주",
    "세입자",     "소유자",     "손녀",     "손자",     "송금인",   "수강생",   "수령인",
    "수령인명",   "수령자",     "수신인",   "수익자",   "수임인",   "수임자",   "수취인",
    "시어머니",   "신랑",       "신부",     "신청인",   "신청자",   "실명",     "아내",
    "아들",       "아버님",     "아버지",   "아빠",     "애인",     "어머니",   "어머님",
    "언니",       "엄마",       "여동생",   "여자",     "여자친구", "여친",     "연대보증인",
    "예금주",     "예금주명",   "예약자",   "예약자명", "오빠",     "와이프",   "운전자",
    "원생",       "원장님",     "위임인",   "위임자",   "응시자",   "이름",     "이모",
    "이용자",     "임대인",     "임차인",   "입금자",   "입금자명", "자녀",     "작성자",
    "장모님",     "저",         "제",       "조카",     "주문자",   "주문자명", "증인",
    "지원자",     "직원",       "집주인",   "차장",     "차주",     "참가자",   "참석자",
    "채권자",     "채무자",     "총무",     "친구",     "탑승객",   "탑승자",   "투숙객",
    "팀장",       "팀장님",     "피보험자", "피해자",   "학부모",   "학생",     "할머니",
    "할아버지",   "형",         "환자",     "환자명",   "회원",     "회원명",   "후배",
};

/*
 * What a label or relation may carry before the name: 성함은, 동생인, 친구의;
 * not 이/가, after which a predicate comes (기사님이 두고 가셨어요).
 */
static const char *const before_tail[] = {
    "",       "은",   "는",     "인",     "이신",   "의",     "님",   "님은",
    "명",     "명은", "분",     "분은",   "이름",   "이름은", "성함", "성함은",
    "이름이", "명이", "이름도", "님이름", "님성함", "이요",   "요",
};

/* The Hangul syllable at s[i], as its index from 가, or -1. */
static int
syllable(const char *s, size_t n, size_t i)
{
	const unsigned char *u = (const unsigned char *)s + i;

	if (i + SYL > n || (u[0] & 0xF0) != 0xE0 || (u[1] & 0xC0) != 0x80 || (u[2] & 0xC0) != 0x80)
		return -1;
	long cp = ((long)(u[0] & 0x0F) << 12) | ((long)(u[1] & 0x3F) << 6) | (u[2] & 0x3F);
	return cp >= 0xAC00 && cp <= 0xD7A3 ? (int)(cp - 0xAC00) : -1;
}

/* Whether the syllable at p is in the set. */
static bool
in_syls(struct syls *t, const char *p)
{
	int k = syllable(p, SYL, 0);

	if (!t->ready) {
		for (size_t i = 0; i + SYL <= t->len; i += SYL) {
			int b = syllable(t->set, t->len, i);
			if (b >= 0)
				t->bits[b >> 3] |= (unsigned char)(1u << (b & 7));
		}
		t->ready = true;
	}
	return k >= 0 && (t->bits[k >> 3] >> (k & 7) & 1);
}

/*
 * p[0..len) against the word w in byte order: below 0, 0 or above. A loop
 * rather than strlen and memcmp: most words differ from p in their first
 * two bytes, and the lists are searched for every syllable of a text.
 */
static int
word_cmp(const char *p, size_t len, const char *w)
{
	size_t i = 0;

	for (; i < len && w[i]; i++)
		if (p[i] != w[i])
			return (unsigned char)p[i] < (unsigned char)w[i] ? -1 : 1;
	return i < len ? 1 : w[i] ? -1 : 0;
}

/* Whether p[0..len) starts with the word w; sets *k to w's length when it does. */
static bool
word_starts(const char *p, size_t len, const char *w, size_t *k)
{
	size_t i = 0;

	for (; w[i]; i++)
		if (i == len || p[i] != w[i])
			return false;
	*k = i;
	return true;
}

/*
 * Whether p[0..len) is one of n sorted words, each stride bytes from the
 * last in base: the words themselves (a table of rows) or, with indirect,
 * pointers to them.
 */
static inline bool
bisect(const void *base, size_t n, size_t stride, bool indirect, const char *p, size_t len)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const char *at = (const char *)base + mid * stride;
		int c = word_cmp(p, len, indirect ? *(const char *const *)at : at);
		if (!c)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

/* Whether p[0..len) is one of the sorted words. */
static bool
in_sorted(const char *const *w, size_t nw, const char *p, size_t len)
{
	return bisect(w, nw, sizeof *w, true, p, len);
}

/* Whether p[0..len) is a word of the dictionary (a row holds 15 bytes at most, and its NUL). */
static bool
in_dict(const char *p, size_t len)
{
	/*
	 * dict is in byte order, so the words of each first syllable lie
	 * together: first[k] is where the words from the k-th syllable on
	 * begin. Bisecting only those keeps the search within a few cache
	 * lines of the 1.5 MB table.
	 */
	static uint32_t first[11172 + 1];
	static bool ready;
	int k = syllable(p, len, 0);

	if (k < 0)
		return false;
	if (!ready) {
		size_t w = 0;
		for (int i = 0; i <= 11172; i++) {
			while (w < NELEM(dict) && syllable(dict[w], SYL, 0) < i)
				w++;
			first[i] = (uint32_t)w;
		}
		ready = true;
	}
	return bisect(dict + first[k], first[k + 1] - first[k], sizeof dict[0], false, p, len);
}

/* Whether p[0..len) is one of the words (an unsorted, short list). */
static bool
in_list(const char *const *w, size_t nw, const char *p, size_t len)
{
	for (size_t i = 0; i < nw; i++)
		if (!word_cmp(p, len, w[i]))
			return true;
	return false;
}

/* Whether p[0..len) starts with one of the words. */
static bool
starts_list(const char *const *w, size_t nw, const char *p, size_t len)
{
	size_t k;

	for (size_t i = 0; i < nw; i++)
		if (word_starts(p, len, w[i], &k))
			return true;
	return false;
}

/* A particle or the copula: what may follow a name in the same word. */
static bool
is_tail(const char *p, size_t len)
{
	return in_sorted(josa, NELEM(josa), p, len) || starts_list(copula, NELEM(copula), p, len);
}

/*
 * Whether p[0..len) is a stoplist word, alone or with a particle or the
 * copula after it (정보랑, 변경은, 배송으로, 명의예요): a common word, not a
 * name, whatever its syllables.
 */
static bool
stop_with_tail(const char *p, size_t len)
{
	for (size_t k = 2 * SYL; k <= len; k += SYL)
		if (in_sorted(stop, NELEM(stop), p, k) && (k == len || is_tail(p + k, len - k)))
			return true;
	return false;
}

/*
 * Whether p[0..len), after a word of the dictionary, is another word of it
 * that ends the compound, or two words of two syllables, with or without
 * a particle (공영 + 주차장, 공동 + 명의, 연장 + 근로 + 수당이). A name whose last syllable and
 * particle spell a word is read as the compound (지명수의: 지명 + 수의).
 */
static bool
compound_rest(const char *p, size_t len)
{
	for (size_t j = 2 * SYL; j <= len; j += SYL)
		if (in_dict(p, j) &&
		    (j == len || is_tail(p + j, len - j) ||
		     (j + 2 * SYL <= len && in_dict(p + j, 2 * SYL) &&
		      (j + 2 * SYL == len || is_tail(p + j + 2 * SYL, len - j - 2 * SYL)))))
			return true;
	return false;
}

/*
 * Whether p[0..len) is a dictionary word, alone or with what may follow a
 * noun in its word: a particle or the copula (주기가, 배정도), a syllable
 * that makes it a verb (연락해, 금식해야), or another word that ends it
 * (공동명의, 공영주차장).
 */
static bool
dict_with_tail(const char *p, size_t len)
{
	for (size_t k = 2 * SYL; k <= len; k += SYL) {
		if (!in_dict(p, k))
			continue;
		/* 하은, 가은, 다은 after a common family name (박하은, 유가은): a given name's last
		 * syllable far more often than a particle */
		if (k + SYL <= len && !memcmp(p + k, "은", SYL) &&
		    (k + SYL == len || is_tail(p + k + SYL, len - k - SYL)) &&
		    in_syls(&S_family_common, p) && in_syls(&S_before_eun, p + k - SYL))
			continue;
		if (k == len || is_tail(p + k, len - k) || in_syls(&S_verb_syl, p + k) ||
		    (k + SYL == len && in_syls(&S_suffix_syl, p + k)) ||
		    compound_rest(p + k, len - k))
			return true;
	}
	return false;
}

/* An honorific or title, alone or with a particle: 님, 씨가, 고객님께서, 드림. */
static bool
is_honor(const char *p, size_t len)
{
	for (size_t i = 0, k; i < NELEM(honor); i++) {
		if (!word_starts(p, len, honor[i], &k))
			continue;
		if (k + SYL <= len && !memcmp(p + k, "님", SYL))
			k += SYL; /* 과장님, 선생님께 */
		if (k == len || is_tail(p + k, len - k))
			return true;
	}
	return false;
}

/* Whether the word p[0..len) is a role with 님: 주무관님이, 설계사님께; not 정지민님. */
static bool
role_with_nim(const char *p, size_t len)
{
	for (size_t k = SYL; k <= 4 * SYL && k + SYL <= len; k += SYL) {
		if (syllable(p, len, k - SYL) < 0)
			return false;
		if (!memcmp(p + k, "님", SYL))
			return in_syls(&S_agent_syl, p + k - SYL) &&
			       (k + SYL == len || is_tail(p + k + SYL, len - k - SYL));
	}
	return false;
}

/* A label or relation with what it may carry: 성함은, 수령인, 친구인. */
static bool
is_before(const char *p, size_t len)
{
	for (size_t k = SYL; k <= len && k <= 6 * SYL; k += SYL)
		if (in_sorted(before, NELEM(before), p, k) &&
		    in_list(before_tail, NELEM(before_tail), p + k, len - k))
			return true;
	return false;
}

/*
 * Whether the word p[0..len) is itself a particle or the copula (이라고,
 * 인데요), not a name: except the copula's stems that also begin given
 * names (이예진, 이세아).
 */
static bool
copula_word(const char *p, size_t len)
{
	static const char *const names[] = {"이예", "이세"};
	/* what ends a copula's third syllable (이라고, 인데요, 이었고); not 이라온, 인지혜, 이신영
	 */
	static const char endings[] = "가고구나는니데도만며면서요지";
	static struct syls S_endings = {.set = endings, .len = sizeof endings - 1};

	return is_tail(p, len) && !starts_list(names, NELEM(names), p, len) &&
	       (len < 3 * SYL || in_syls(&S_endings, p + 2 * SYL));
}

/* Whether p[0..len) begins with the next field of a form typed without spaces: 이름권병철연락처. */
static bool
field_next(const char *p, size_t len)
{
	static const char *const fields[] = {"연락처",   "전화",   "휴대폰", "핸드폰", "주소",
	                                     "생년월일", "이메일", "번호",   "전번",   "폰번"};

	return starts_list(fields, NELEM(fields), p, len);
}

/*
 * Whether the rest of a word written without spaces (김민수한테보냈어요)
 * begins with a particle or an honorific, as the rest of a name's word
 * would when spaced: only for words long enough to be run together; or
 * with the next field of a form (field_next).
 */
static bool
run_on(const char *p, size_t len)
{
	static const char *const heads[] = {
	    "이가", "이랑", "이한테", "이는", "이도", "을", "를",   "이",   "가",
	    "은",   "는",   "도",     "과",   "와",   "랑", "한테", "에게", "께",
	    "으로", "로",   "네",     "꺼",   "님",   "씨", "하고", "입니", "인데",
	};

	if (field_next(p, len))
		return true;
	if (len < 4 * SYL)
		return false;
	if (starts_list(heads, NELEM(heads), p, len))
		return true;
	for (size_t i = 0, k; i < NELEM(honor); i++)
		if (word_starts(p, len, honor[i], &k) && k >= 2 * SYL)
			return true;
	return false;
}

/* Whether the syllable at p may begin a family name. */
static bool
family_at(const char *p)
{
	return in_syls(&S_family_common, p) || in_syls(&S_family_rare, p);
}

/*
 * Whether s[i..j), the start of a word, ends with a word that opens a
 * query or a label (저기요, 여보세요, 급함, 예약자명), after which a name may
 * follow with no space.
 */
static bool
opens(const char *s, size_t i, size_t j)
{
	static const char *const words[] = {
	    "저기요",   "여보세요",     "안녕하세요",   "급함", "급해요",
	    "혹시",     "상담원님",     "그리고",       "근데", "문의합니다",
	    "질문이요", "문의드립니다", "수고하십니다",
	};

	for (size_t k = SYL; k <= j - i && k <= 6 * SYL; k += SYL)
		if (in_list(words, NELEM(words), s + j - k, k) ||
		    (k >= 2 * SYL && in_sorted(before, NELEM(before), s + j - k, k)))
			return true;
	return false;
}

/* Whether the byte c is one of set's (never the NUL that ends set). */
static bool
one_of(char c, const char *set)
{
	return c && strchr(set, c);
}

/* → between the old and the new holder of a thing (명의변경 홍길례 → 정 가람). */
#define ARROW "\xE2\x86\x92"

/* Whether s[e], a space before it or not, ends a field: a colon, a comma, a line's end. */
static bool
field_end(const char *s, size_t n, size_t e)
{
	e += e < n && s[e] == ' ';
	return e == n || one_of(s[e], ":,\n");
}

/* Whether an arrow stands just before s[from] or just after s[end], a space between. */
static bool
arrow_beside(const char *s, size_t n, size_t from, size_t end)
{
	size_t b = from - (from > 0 && s[from - 1] == ' ');
	size_t e = end + (end < n && s[end] == ' ');

	return (b >= 3 && !memcmp(s + b - 3, ARROW, 3)) || (e + 3 <= n && !memcmp(s + e, ARROW, 3));
}

/* How sure the words around a candidate make it a name. */
enum ctx { CTX_NONE, CTX_JOSA, CTX_LIST, CTX_STRONG };

/* A candidate: the family name at s[from..given), the given name to to; its word ends at end. */
struct cand {
	size_t from, given, to, end;
	bool rare, spaced;
};

/* The end of the run of Hangul syllables at s[i]. */
static size_t
word_end(const char *s, size_t n, size_t i)
{
	while (syllable(s, n, i) >= 0)
		i += SYL;
	return i;
}

/*
 * Whether the text before s[i] ends a list marker or a form's punctuation
 * (1) 김민수, (김민수, 1. 김민수), and not with a number (3천원만, 20kg 정도).
 */
static bool
list_before(const char *s, size_t i)
{
	while (i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t'))
		i--;
	if (i == 0)
		return true;
	unsigned char c = (unsigned char)s[i - 1];
	if (c == '.' || c == ')')
		return i >= 2 && s[i - 2] >= '0' && s[i - 2] <= '9';
	if (c < 0x80)
		return strchr("(,:-/[]\"'*>|;\n", c) != NULL;
	/* “ ” ‘ ’ 「 」 */
	if (i >= 3 && s[i - 3] == '\xE2' && s[i - 2] == '\x80' &&
	    strchr("\x98\x99\x9C\x9D", s[i - 1]))
		return true;
	/* ·, •, ：, → */
	return (i >= 2 && !memcmp(s + i - 2, "\xC2\xB7", 2)) ||
	       (i >= 3 && (!memcmp(s + i - 3, "\xE2\x80\xA2", 3) ||
	                   !memcmp(s + i - 3, "\xEF\xBC\x9A", 3) || !memcmp(s + i - 3, ARROW, 3)));
}

/*
 * Whether what follows s[e] ends a list item or a form's field: the end,
 * a comma, a bracket, a number; not a question or exclamation mark, which
 * end a sentence's predicate (오나요?).
 */
static bool
list_after(const char *s, size_t n, size_t e)
{
	if (e == n)
		return true;
	if (s[e] == ' ')
		e++;
	if (e + 3 <= n && !memcmp(s + e, ARROW, 3))
		return true;
	unsigned char c = e < n ? (unsigned char)s[e] : '\n';
	return (c >= '0' && c <= '9') || strchr("(),/]:;\n", c);
}

/* Digits in s[i..j) (i <= j) that are spelt like a number to call: digits, -, ., +, ( and ). */
static size_t
phone_digits(const char *s, size_t i, size_t j)
{
	size_t d = 0;

	for (; i < j && (isdigit((unsigned char)s[i]) || one_of(s[i], "-.+() ")); i++)
		d += isdigit((unsigned char)s[i]) != 0;
	return i == j ? d : 0;
}

/*
 * How contact_beside may look: CONTACT_LABEL, a word naming the number
 * between; CONTACT_ID, before the name an identifier of ten digits or more
 * (an account, a licence: 110460348651 정 미영) counts too. Not after it:
 * a bank's name comes before its account number.
 */
enum { CONTACT_LABEL = 1, CONTACT_ID = 2 };

/*
 * Whether the word s[i..j), or the number that starts it, is a contact
 * detail: an e-mail, a passport number, a number to call (seven digits or
 * more from a 0 or a +).
 */
static bool
contact_at(const char *s, size_t n, size_t i, size_t j)
{
	if (i < j && s[i] == '(')
		i++;
	if (memchr(s + i, '@', j - i))
		return true;
	if (i < j && one_of(s[i], "MSRGD") && j - i >= 9 && phone_digits(s, i + 1, i + 9) == 8)
		return true;
	size_t m = j;
	while (m < n && m < j + 8 && (isdigit((unsigned char)s[m]) || one_of(s[m], "-. ")))
		m++;
	while (m > i && !isdigit((unsigned char)s[m - 1]))
		m--;
	return phone_digits(s, i, m) >= 7 && i < j && (s[i] == '0' || s[i] == '+');
}

/* Whether s[i..j) starts with an identifier: ten digits or more, spelt with - and spaces. */
static bool
id_at(const char *s, size_t i, size_t j)
{
	size_t d = 0;

	for (; i < j && (isdigit((unsigned char)s[i]) || s[i] == '-'); i++)
		d += isdigit((unsigned char)s[i]) != 0;
	return d >= 10;
}

/*
 * Whether a contact detail stands right beside the name s[from..to) of the
 * word ending at e: after it, a word with an @, a passport number or a
 * number to call, seven digits or more from a 0 or a + (김민수 kim@x.kr,
 * 김민수 M12345678, 김민수 010-1234-5678, 김민수(010-1234-5678)); before it,
 * such a number (010-1234-5678(김민수)). Dates and order numbers start
 * otherwise. how (CONTACT_*) widens what counts.
 */
static bool
contact_beside(const char *s, size_t n, size_t from, size_t e, unsigned how)
{
	static const char *const labels[] = {
	    "폰",           "번호",     "연락처", "전화", "휴대폰",   "핸드폰",  "주민번호",
	    "주민등록번호", "여권번호", "이메일", "메일", "전화번호", "면허번호"};
	size_t i = e + (e < n && s[e] == ' '), j;

	if (i < n && s[i] == '/')
		i += 1 + (i + 1 < n && s[i + 1] == ' ');
	for (j = i; j < n && s[j] != ' ' && s[j] != '\n' && s[j] != ',';)
		j++;
	/* 김민수 폰 010-..., 권건 (주민번호 900101-...): a word that names the number between */
	size_t l = i + (i < j && s[i] == '(');
	for (size_t k = 0; (how & CONTACT_LABEL) && j < n && s[j] == ' ' && k < NELEM(labels);
	     k++) {
		size_t w;
		if (word_starts(s + l, j - l, labels[k], &w) &&
		    (w == j - l ||
		     in_list(before_tail, NELEM(before_tail), s + l + w, j - l - w))) {
			i = j + 1;
			for (j = i; j < n && s[j] != ' ' && s[j] != '\n' && s[j] != ',';)
				j++;
			break;
		}
	}
	/* after a label or a slash, an identifier counts too (김현 / 23-12-566196-12) */
	if (contact_at(s, n, i, j) ||
	    ((how & CONTACT_ID) && (i > e + 1 || l > i) && id_at(s, i, j)))
		return true;
	size_t b = from;
	while (b > 0 && from - b <= 24 &&
	       (isdigit((unsigned char)s[b - 1]) || one_of(s[b - 1], "-.+() ")))
		b--;
	if (b > 0 && (isalnum((unsigned char)s[b - 1]) || one_of(s[b - 1], "-.+()")))
		return false; /* a longer run, or a code (Y0667-71952): no number to call */
	while (b < from && one_of(s[b], " ("))
		b++;
	size_t d = phone_digits(s, b, from);
	return b < from && ((d >= 7 && (s[b] == '0' || s[b] == '+')) ||
	                    ((how & CONTACT_ID) && d >= 10 && isdigit((unsigned char)s[b])));
}

/*
 * Whether p[0..len) is a word for a role: ending in 자 or 인, a word of the
 * dictionary or one of its nouns with that ending (예매 + 자, 위임 + 인).
 */
static bool
role_word(const char *p, size_t len)
{
	const char *last = p + len - SYL;

	return len >= 2 * SYL && (!memcmp(last, "자", SYL) || !memcmp(last, "인", SYL)) &&
	       (in_dict(p, len) || (len == 3 * SYL && in_dict(p, 2 * SYL)));
}

/*
 * Whether the word p[0..len) is a role, with what a label may carry:
 * 예매자, 양도자는, 수검자, 위임인.
 */
static bool
role_label(const char *p, size_t len)
{
	for (size_t k = 2 * SYL; k <= len && k <= 5 * SYL; k += SYL)
		if (in_list(before_tail, NELEM(before_tail), p + k, len - k) && role_word(p, k))
			return true;
	return false;
}

/*
 * Whether a label or relation stands before s[i], with spaces, a colon, an
 * opening bracket or a number between (저(정건), 배우자(박연우), 운전자2 제갈도하).
 */
static bool
label_before(const char *s, size_t n, size_t i)
{
	size_t q = i;

	while (q > 0 && one_of(s[q - 1], " \t:=\"'(0123456789"))
		q--;
	if (q >= SYL && s[q - 3] == '\xE2' && s[q - 2] == '\x80' && strchr("\x98\x9C", s[q - 1]))
		q -= SYL; /* “ or ‘ */
	if (q >= SYL && !memcmp(s + q - SYL, "\xEF\xBC\x9A", SYL))
		q -= SYL;
	size_t p = q;
	while (p >= SYL && syllable(s, n, p - SYL) >= 0)
		p -= SYL;
	if (p < q && (is_before(s + p, q - p) || role_label(s + p, q - p)))
		return true;
	/* run together (급함예약자명임호석): a label of two syllables or more ends the run */
	for (size_t k = 2 * SYL; q == i && k < q - p; k += SYL)
		if (in_sorted(before, NELEM(before), s + q - k, k))
			return true;
	return false;
}

/*
 * Whether an honorific is one only a person takes (님, 씨, 고객님, 드림),
 * not one a common word may also take (우수 고객, 신규 회원, 이사 대표).
 */
static bool
personal_honor(const char *p, size_t len)
{
	static const char *const words[] = {
	    "씨",   "드림", "올림", "명의", "본인", "앞으로", "과장", "대리", "팀장", "부장",
	    "차장", "실장", "주임", "사원", "선생", "교수",   "원장", "환자", "학생"};

	if (memmem(p, len, "님", SYL))
		return true;
	return starts_list(words, NELEM(words), p, len);
}

/*
 * Whether an honorific or title follows the candidate, in its word or as
 * the next; sets *personal when it is one only a person takes.
 */
static bool
honor_after(const char *s, size_t n, const struct cand *c, bool *personal)
{
	const char *tail = s + c->to;
	size_t tlen = c->end - c->to;

	*personal = tlen && personal_honor(tail, tlen);
	if (tlen && is_honor(tail, tlen))
		return true;
	if (!tlen) {
		size_t e = c->end + (c->end < n && s[c->end] == ' ');
		size_t f = word_end(s, n, e);
		if (f > e && (is_honor(s + e, f - e) || role_with_nim(s + e, f - e))) {
			*personal = personal_honor(s + e, f - e);
			return true;
		}
	}
	return false;
}

/*
 * Whether s[w0..w1) is a bare three-syllable name by its shape alone: a
 * common family name, two given-name syllables, not a stoplist word, and
 * at most a particle that joins it to the next (김민수, 김민수와).
 */
static bool
bare_name(const char *s, size_t w0, size_t w1)
{
	static const char *const joins[] = {"과",   "와",     "랑",   "이랑",
	                                    "하고", "이하고", "이나", "나"};

	if (w1 - w0 < 3 * SYL || !in_syls(&S_family_common, s + w0) ||
	    (w1 - w0 > 3 * SYL &&
	     !in_list(joins, NELEM(joins), s + w0 + 3 * SYL, w1 - w0 - 3 * SYL)))
		return false;
	for (size_t g = w0 + SYL; g < w0 + 3 * SYL; g += SYL)
		if (!in_syls(&S_given, s + g))
			return false;
	return !stop_with_tail(s + w0, 3 * SYL) && !stop_with_tail(s + w0, w1 - w0);
}

/*
 * Whether the word before s[from], a space between, is a bare name, alone
 * or with a particle that joins it to the next (김민수와 정 광수).
 */
static bool
name_before(const char *s, size_t n, size_t from)
{
	if (from <= SYL || s[from - 1] != ' ')
		return false;
	size_t p = from - 1;
	while (p >= SYL && syllable(s, n, p - SYL) >= 0)
		p -= SYL;
	return p + 3 * SYL <= from - 1 && bare_name(s, p, from - 1);
}

/*
 * Whether the word after the candidate, or the one before it, is a bare
 * name too: names listed with spaces (김민수 이영희 박지훈 세명이요).
 */
static bool
name_beside(const char *s, size_t n, const struct cand *c)
{
	if (c->end == c->to && c->end < n && s[c->end] == ' ') {
		size_t f = word_end(s, n, c->end + 1);
		if (f == c->end + 1 + 3 * SYL && bare_name(s, c->end + 1, f))
			return true;
	}
	return name_before(s, n, c->from);
}

/* The context of a candidate, from the strongest down. */
static enum ctx
context(const char *s, size_t n, const struct cand *c, bool *personal)
{
	size_t tlen = c->end - c->to;

	if (honor_after(s, n, c, personal))
		return CTX_STRONG;
	bool one = c->spaced && c->to - c->given - 1 == SYL; /* 박 빈: a label or title only */
	if (label_before(s, n, c->from) ||
	    (!one && contact_beside(s, n, c->from, c->end, CONTACT_LABEL | CONTACT_ID))) {
		*personal = true;
		return CTX_STRONG;
	}
	if (list_before(s, c->from) || list_after(s, n, c->end))
		return CTX_LIST;
	if (!c->rare && !c->spaced && c->to - c->from == 3 * SYL && name_beside(s, n, c))
		return CTX_LIST;
	return tlen ? CTX_JOSA : CTX_NONE;
}

/*
 * Whether the candidate's own syllables may be a name: given-name syllables,
 * not a stoplist word, and not a stoplist word with a particle (정보를).
 */
static bool
shape_ok(const char *s, const struct cand *c)
{
	for (size_t g = c->given + c->spaced; g < c->to; g += SYL)
		if (!in_syls(&S_given, s + g))
			return false;
	if (c->spaced)
		return !in_sorted(stop, NELEM(stop), s + c->from, c->to - c->from) &&
		       !stop_with_tail(s + c->given + 1, c->end - c->given - 1);
	if (in_sorted(stop, NELEM(stop), s + c->from, c->to - c->from))
		return false;
	if (c->to - c->from == 3 * SYL && c->given - c->from == SYL &&
	    in_sorted(stop, NELEM(stop), s + c->from, 2 * SYL))
		return !in_syls(&S_JOSA_SYL, s + c->to - SYL);
	return true;
}

/*
 * Whether a bare three-syllable candidate, with no context to say name,
 * reads as another word: it ends as a linking ending does (하려고, 정도면,
 * 길어서, 지나서), as a place does (성수동), in a particle's syllable other
 * than 은 (하기로), or is a dictionary word and 은 (주인은, 배정은), which
 * the dictionary's test leaves to names.
 */
static bool
predicate(const char *s, const struct cand *c)
{
	const char *last = s + c->to - SYL;

	if (in_syls(&S_linking_syl, last) || in_syls(&S_place_syl, last) ||
	    (in_syls(&S_JOSA_SYL, last) && memcmp(last, "은", SYL)))
		return true;
	if (!memcmp(last, "서", SYL) && in_syls(&S_conj_syl, last - SYL))
		return true;
	return !memcmp(last, "은", SYL) && in_dict(s + c->from, 2 * SYL);
}

/* Titles that follow a family name alone for a person unnamed: 김대리, 박 주임, 이부장님. */
static const char *const unnamed_titles[] = {
    "대리", "주임", "과장", "팀장", "부장", "차장", "실장", "사원", "사장", "원장",
    "대표", "선생", "기사", "교수", "소장", "점장", "상무", "전무", "총무", "주무관"};

/* The endings of firms' names that a name never has: 신한은행, 우리카드, 삼성생명, 한진택배,
 * 대한항공. */
static const char *const firms[] = {
    "은행", "카드",     "증권",   "보험",     "생명",       "화재", "뱅크",
    "페이", "캐피탈",   "택배",   "통운",     "물류",       "항공", "마트",
    "마을", "푸르지오", "래미안", "아이파크", "힐스테이트", "더샵", "캐슬"};

/* Last syllables of a verb's ending after the honorific 시: 오시기, 가시는, 주시면. */
static const char verb_end_syl[] = "게고기는니던며면죠지";
static struct syls S_verb_end_syl = {.set = verb_end_syl, .len = sizeof verb_end_syl - 1};

/*
 * Whether the word p[0..len) is two or three syllables and one of firm
 * after them, with at most a particle: 신한은행에, 카카오뱅크로.
 */
static bool
firm_word(const char *p, size_t len)
{
	for (size_t j = 2 * SYL; j <= 3 * SYL && j < len; j += SYL)
		for (size_t i = 0, k; i < NELEM(firms); i++)
			if (word_starts(p + j, len - j, firms[i], &k) &&
			    (k == len - j || is_tail(p + j + k, len - j - k)))
				return true;
	return false;
}

/*
 * Whether the next word after e is a title that follows only a person's
 * name: 님, 씨, 고객님, 회원님, 귀하, 앞, 명의, 드림 (not 사장님 or 선생님,
 * which follow a trade as often: 부동산 사장님, 수학 선생님).
 */
static bool
title_next(const char *s, size_t n, size_t e)
{
	static const char *const titles[] = {"님", "씨",   "고객님", "회원님", "귀하",
	                                     "앞", "명의", "드림",   "올림"};
	size_t i = e + (e < n && s[e] == ' '), j = word_end(s, n, i), k;

	if (i == e || j == i)
		return false;
	for (size_t t = 0; t < NELEM(titles); t++)
		if (word_starts(s + i, j - i, titles[t], &k) &&
		    (k == j - i || is_tail(s + i + k, j - i - k)))
			return true;
	return false;
}

/*
 * Whether the candidate's syllables are some other word whatever its
 * context: a quotation with 고 (전한다고, 뭐라고; not 김연우고), a pronoun
 * or a noun of one syllable with its particle (제가, 이가), a number word
 * and a counter (한 명, 세 명이고, 두 번), a role before a name (예매자
 * 전한솔).
 */
static bool
other_word(const char *s, size_t n, const struct cand *c)
{
	static const char *const numbers[] = {"한", "두", "세", "네", "몇", "여러", "다섯", "여섯"};
	const char *last = s + c->to - SYL;
	size_t b = c->from;

	if (c->end - c->to == SYL && !memcmp(s + c->to, "고", SYL) && in_syls(&S_QUOTE_SYL, last))
		return true;
	if (!c->spaced && c->to - c->from == 2 * SYL && c->end == c->to &&
	    in_syls(&S_JOSA_SYL, last))
		return true;
	/* 예매자 전한솔, 양도자 김 재훈: a role before a name, not a name */
	size_t f = c->end + (c->end < n && s[c->end] == ':');
	f += f < n && s[f] == ' ';
	if (!c->spaced && f > c->end && f + SYL <= n && family_at(s + f) &&
	    (role_word(s + c->from, c->to - c->from) ||
	     (role_word(s + c->from, c->end - c->from - SYL) && is_tail(s + c->end - SYL, SYL))))
		return true;
	/* 함인지, 정이다: after the family-name syllable, only a particle or the copula */
	if (!c->spaced && c->given - c->from == SYL && is_tail(s + c->given, c->end - c->given) &&
	    c->end - c->given >= 2 * SYL)
		return true;
	/* 오실, 가신: an honorific verb; 길고양이: a word from the given name into what follows */
	if (!c->spaced && c->to - c->from == 2 * SYL && in_syls(&S_HONVERB_SYL, last))
		return true;
	if (!c->spaced && c->end > c->to && c->end - c->given <= 5 * SYL &&
	    in_dict(s + c->given, c->end - c->given))
		return true;
	/* 전하실, 말하신: 하 and an honorific ending */
	if (!c->spaced && c->to - c->from == 3 * SYL && !memcmp(last - SYL, "하", SYL) &&
	    in_syls(&S_HONVERB_SYL, last))
		return true;
	/* 오시기, 가시는, 주시면: an honorific verb of three syllables and its ending */
	if (!c->spaced && c->to - c->from == 3 * SYL && !memcmp(last - SYL, "시", SYL) &&
	    in_syls(&S_verb_end_syl, last))
		return true;
	/* 민지야 밥은 먹었니: a given name and the vocative 아 or 야 opening a line */
	if (!c->spaced && c->to - c->from == 3 * SYL && c->end == c->to &&
	    (!memcmp(last, "아", SYL) || !memcmp(last, "야", SYL)) &&
	    (c->from == 0 || s[c->from - 1] == '\n') && c->end < n && s[c->end] == ' ' &&
	    syllable(s, n, c->end + 1) >= 0 && !title_next(s, n, c->end) &&
	    !personal_honor(s + c->end + 1, word_end(s, n, c->end + 1) - c->end - 1) &&
	    !contact_beside(s, n, c->from, c->end, 0))
		return true;
	/* 지호이 엄마: a child's given name and its 이 before the parent's word */
	if (!c->spaced && c->to - c->from == 3 * SYL && c->end == c->to &&
	    !memcmp(last, "이", SYL) && c->end + 1 + 2 * SYL <= n && s[c->end] == ' ' &&
	    (!memcmp(s + c->end + 1, "엄마", 2 * SYL) || !memcmp(s + c->end + 1, "아빠", 2 * SYL)))
		return true;
	/* 여의대로: a road's 대로 read as a name and 로 */
	if (!c->spaced && !memcmp(last, "대", SYL) && c->end > c->to &&
	    !memcmp(s + c->to, "로", SYL))
		return true;
	/* 김대리, 김 주임께, 박과장님: a family name and a title stand for a person unnamed */
	if (starts_list(unnamed_titles, NELEM(unnamed_titles), s + c->given + c->spaced,
	                c->end - c->given - c->spaced))
		return true;
	/* 공일공, 구공오: digits read out (a transcript's 010), every syllable a digit's word */
	bool digits = true;
	for (size_t g = c->from; digits && g + SYL <= c->to; g += SYL)
		digits = s[g] != ' ' && in_syls(&S_DIGIT_SYL, s + g);
	if (!c->spaced && digits)
		return true;
	/* 신한은행, 우리카드: a bank, a card company or an insurer */
	if (!c->spaced && firm_word(s + c->from, c->end - c->from))
		return true;
	/* 예금주명, 보호자: a label is no name */
	if (!c->spaced && is_before(s + c->from, c->end - c->from))
		return true;
	if (c->spaced && in_list(numbers, NELEM(numbers), s + c->from, c->given - c->from) &&
	    in_syls(&S_counter_syl, s + c->given + 1))
		return true;
	while (b > 0 && s[b - 1] == ' ')
		b--;
	size_t a = b;
	while (a >= SYL && syllable(s, n, a - SYL) >= 0)
		a -= SYL;
	return b < c->from && in_list(numbers, NELEM(numbers), s + a, b - a) &&
	       in_syls(&S_counter_syl, s + c->from);
}

/* Whether a name written apart has, as its given name, a word of the dictionary or stoplist. */
static bool
given_is_word(const char *s, const struct cand *c)
{
	const char *g = s + c->given + 1;
	size_t len = c->end - c->given - 1;

	return dict_with_tail(g, len) || stop_with_tail(g, len) || in_dict(g, c->to - c->given - 1);
}

/*
 * Whether a candidate that is a dictionary word, or one with a tail, is a
 * name all the same: a word of its own with a title as the next word
 * (박정희 고객님); at three syllables and just as the dictionary has it, a
 * label before it (예약자 박정희, not 담당자 배정도); or just as the
 * dictionary has it, with 님 or 씨 glued on, when it does not end as the
 * words for a role do (김정희님, not 설계사님 or 주무관님).
 */
static bool
dict_name(const char *s, size_t n, const struct cand *c)
{
	/* 예매자, 위임인, 배우자, 추천인: the dictionary's words for a role are never a name */
	if ((in_dict(s + c->from, c->to - c->from) && in_syls(&S_agent_syl, s + c->to - SYL)) ||
	    role_word(s + c->from, c->to - c->from))
		return false;
	/* 이로운 010-...: a name beside a contact detail, unless a rare family name begins a
	 * word of the dictionary (사무실 063-...; 김정은 010-... is a name) */
	if (c->end == c->to && c->to - c->from >= 3 * SYL &&
	    contact_beside(s, n, c->from, c->end, 0) && !in_syls(&S_verb_syl, s + c->to - SYL) &&
	    !(c->rare && in_dict(s + c->from, c->to - c->from)))
		return true;
	if (c->end != c->to)
		return in_dict(s + c->from, c->to - c->from) &&
		       personal_honor(s + c->to, c->end - c->to) &&
		       !in_syls(&S_agent_syl, s + c->to - SYL);
	if (title_next(s, n, c->end))
		return true;
	/* 예약자 박정희: a label before a person the dictionary holds; not before a word of it
	 * and a suffix (학부모 연락망) */
	return c->to - c->from == 3 * SYL && in_dict(s + c->from, 3 * SYL) &&
	       !in_syls(&S_verb_syl, s + c->to - SYL) &&
	       !(in_dict(s + c->from, 2 * SYL) && in_syls(&S_suffix_syl, s + c->to - SYL)) &&
	       label_before(s, n, c->from);
}

/* Whether the candidate is a name: its shape, what follows it in its word, and its context. */
static bool
judge(const char *s, size_t n, const struct cand *c)
{
	size_t tlen = c->end - c->to;
	bool personal;

	if (!shape_ok(s, c) || copula_word(s + c->from, c->end - c->from) || other_word(s, n, c))
		return false;
	size_t syls = (c->to - c->from - c->spaced) / SYL;
	if (tlen && !is_tail(s + c->to, tlen) && !is_honor(s + c->to, tlen))
		return syls == 3 && !c->rare &&
		       (c->spaced ? field_next(s + c->to, tlen) && !given_is_word(s, c)
		                  : run_on(s + c->to, tlen)) &&
		       !stop_with_tail(s + c->from, c->to - c->from) &&
		       !dict_with_tail(s + c->from, c->end - c->from);
	/* 변경은, 정보랑: a common word with a particle, unless a strong context says name (박하은
	 * 고객님). */
	bool stopish = !c->spaced && (stop_with_tail(s + c->from, c->to - c->from) ||
	                              stop_with_tail(s + c->from, c->end - c->from));
	/* 배우자, 연락해도: a word of the dictionary, unless a label or a title says name. */
	/* a two-syllable family name is often a word itself (사공, 서문): only the whole counts */
	bool dictish = !c->spaced && (c->given - c->from == 2 * SYL
	                                  ? in_dict(s + c->from, c->to - c->from)
	                                  : dict_with_tail(s + c->from, c->to - c->from) ||
	                                        dict_with_tail(s + c->from, c->end - c->from));
	/* 새나래, 보람찬: a given name of three syllables only where a label, a title or a
	 * contact detail says name */
	bool long_given = c->to - c->given - c->spaced == 3 * SYL;
	/* The common case first: three syllables and a particle need no more context. */
	if (syls >= 3 && !long_given && !c->rare && !c->spaced && tlen && !stopish && !dictish &&
	    (tlen != SYL || memcmp(s + c->to, "요", SYL)) && is_tail(s + c->to, tlen))
		return true;
	enum ctx x = context(s, n, c, &personal);
	if ((stopish && !honor_after(s, n, c, &personal)) || (dictish && !dict_name(s, n, c)))
		return false;
	if (long_given)
		return x == CTX_STRONG && personal && !stopish && !dictish &&
		       !in_syls(&S_JOSA_SYL, s + c->to - SYL);
	/* 성수동, 강남구: a place, unless a label or a title says name */
	if (c->end == c->to && in_syls(&S_place_syl, s + c->to - SYL) && x != CTX_STRONG)
		return false;
	/* 요 ends predicates too (나오나요, 정도예요): only after a label (성함 김민수요). */
	if (tlen == SYL && !memcmp(s + c->to, "요", SYL) && x != CTX_STRONG)
		return false;
	if (syls == 2)
		return (x == CTX_STRONG && personal) ||
		       (x >= CTX_JOSA && !c->rare && in_syls(&S_given_only, s + c->given));
	if (c->rare)
		return x == CTX_STRONG || (syls == 3 && !c->spaced && x >= CTX_JOSA);
	/* 반 친구, 장 유리: a given name that is a word, only after a label or before 씨 */
	/*
	 * 이 문장, 전 학교, 구 여권, 제 번호: 이 ("this"), 전, 구, 신, 현 ("former", "old",
	 * "new", "current") and 제 ("my") before a noun; in a list only with a contact detail
	 * or as a field of its own (1. 이 민정 010-..., 이 지혜: ...)
	 */
	bool this = c->given - c->from == SYL && in_syls(&S_NOUN_PREFIX, s + c->from);
	if (c->spaced && given_is_word(s, c)) {
		bool contact = contact_beside(s, n, c->from, c->end, 0);
		return label_before(s, n, c->from) ||
		       (c->end == c->to && title_next(s, n, c->end)) ||
		       (x >= CTX_LIST && list_before(s, c->from) &&
		        (!this || contact || field_end(s, n, c->end))) ||
		       (!this && contact);
	}
	if (c->spaced)
		return x == CTX_STRONG || (x == CTX_LIST && list_before(s, c->from)) ||
		       (x == CTX_JOSA && syls == 3 && !c->rare) ||
		       (syls == 3 && !c->rare &&
		        (name_before(s, n, c->from) || arrow_beside(s, n, c->from, c->end)));
	return x >= CTX_JOSA || (syls == 3 && !stopish && !dictish && !c->rare && !predicate(s, c));
}

/*
 * A family name alone in s[w0..w1) (김, 남궁) and the given name in the next
 * word (김 민수, 남궁 빈): sets *to past it.
 */
static bool
spaced_name(const char *s, size_t n, size_t w0, size_t w1, size_t *to)
{
	struct cand c = {.from = w0, .given = w1, .spaced = true};

	if (!(w1 - w0 == SYL ||
	      (w1 - w0 == 2 * SYL && in_sorted(family_two, NELEM(family_two), s + w0, 2 * SYL))) ||
	    w1 >= n || s[w1] != ' ')
		return false;
	c.end = word_end(s, n, w1 + 1);
	for (size_t gl = 3; gl >= 1; gl--) {
		c.to = w1 + 1 + gl * SYL;
		if (c.to <= c.end && judge(s, n, &c)) {
			*to = c.to;
			return true;
		}
	}
	return false;
}

/*
 * The name at the start of the word s[w0..w1), if any: the family name
 * (two syllables before one), then the longer given name first. A lone
 * family name may take its given name from the next word (김 민수); a
 * two-syllable family name alone does so first (황보 상민, not 황보).
 */
static bool
name_in_word(const char *s, size_t n, size_t w0, size_t w1, size_t *to)
{
	struct cand c = {.from = w0};
	bool two_alone =
	    w1 - w0 == 2 * SYL && in_sorted(family_two, NELEM(family_two), s + w0, 2 * SYL);

	if (two_alone && spaced_name(s, n, w0, w1, to))
		return true;
	for (int two = 1; two >= 0; two--) {
		if (two && !(w1 - w0 >= 3 * SYL &&
		             in_sorted(family_two, NELEM(family_two), s + w0, 2 * SYL)))
			continue;
		if (!two) {
			bool common = in_syls(&S_family_common, s + w0);
			if (!common && !in_syls(&S_family_rare, s + w0))
				return false;
			c.rare = !common;
		}
		c.given = w0 + (two ? 2 : 1) * SYL;
		c.end = w1;
		c.spaced = false;
		for (size_t gl = two ? 2 : 3; gl >= 1; gl--) {
			c.to = c.given + gl * SYL;
			if (c.to <= w1 && judge(s, n, &c)) {
				*to = c.to;
				if (gl == 2 && c.to == w1 && in_syls(&S_JOSA_SYL, s + c.to - SYL) &&
				    !contact_beside(s, n, w0, w1, 0)) {
					/* 정혁을: the name without its particle, when that is a
					 * name too */
					c.to -= SYL;
					if (judge(s, n, &c))
						*to = c.to;
				}
				return true;
			}
		}
	}
	return !two_alone && spaced_name(s, n, w0, w1, to);
}

/* The particles a label takes before its value: 이름은, 성함이, 예금주요 (code-point order). */
#define LABEL_JOSA "가과는도랑로를만와요은을의이"
static struct syls S_LABEL_JOSA = {.set = LABEL_JOSA, .len = sizeof LABEL_JOSA - 1};

/* Whether s[i..j) ends with a word that labels a name in a form: 이름, 성함, 예금주. */
static bool
name_label_ends(const char *s, size_t i, size_t j)
{
	static const char *const labels[] = {"이름",   "성함",   "성명",   "고객명", "예금주",
	                                     "예약자", "수령인", "받는분", "주문자", "신청인"};

	for (size_t k = 2 * SYL; k <= j - i && k <= 3 * SYL; k += SYL)
		if (in_list(labels, NELEM(labels), s + j - k, k))
			return true;
	return false;
}

/* Whether the words w[0..nw) are in byte order, each once. */
static bool
words_sorted(const char *const *w, size_t nw)
{
	for (size_t i = 1; i < nw; i++)
		if (word_cmp(w[i - 1], strlen(w[i - 1]), w[i]) >= 0)
			return false;
	return true;
}

/*
 * The word lists are searched by bisection: one out of order would hide its
 * words without a sound. They are checked once, at the first call, and a
 * list out of order stops the program (exit 70) before it masks anything.
 */
static void
check_tables(void)
{
	static bool checked;

	if (checked)
		return;
	checked = true;
	if (!words_sorted(family_two, NELEM(family_two)) || !words_sorted(stop, NELEM(stop)) ||
	    !words_sorted(josa, NELEM(josa)) || !words_sorted(before, NELEM(before)))
		ve_die(VE_EX_SOFTWARE, "kname: a word list is out of order");
}

bool
ve_kname_next(const char *s, size_t n, size_t *at, size_t *from, size_t *to)
{
	size_t i = *at;

	check_tables();
	while (i < n) {
		if (syllable(s, n, i) < 0) {
			i++;
			continue;
		}
		size_t w1 = word_end(s, n, i);
		/* 6반, 1644-4510은, 3424 가 그대로: after a digit, a counter or a particle (but 이,
		 * a common family name, stays: 52 이 현우 앞) */
		bool starts = (i < SYL || syllable(s, n, i - SYL) < 0) &&
		              (i == 0 || !isdigit((unsigned char)s[i - 1])) &&
		              !(w1 - i == SYL && i >= 2 && s[i - 1] == ' ' &&
		                isdigit((unsigned char)s[i - 2]) && in_syls(&S_JOSA_SYL, s + i) &&
		                memcmp(s + i, "이", SYL));
		if (starts && name_in_word(s, n, i, w1, to)) {
			*from = i;
			*at = *to;
			return true;
		}
		/* run together: a name right after an opening word or a label (저기요김채원께) */
		for (size_t j = i + SYL; w1 - i >= 4 * SYL && j + 2 * SYL <= w1; j += SYL)
			if (family_at(s + j) && opens(s, i, j) && name_in_word(s, n, j, w1, to)) {
				*from = j;
				*at = *to;
				return true;
			}
		/* a name label and a family name run together, the given name next (이름우
		 * 서현번호); not a particle's syllable (이름이 달라요, 이름은 배 현정이고) */
		size_t j = w1 - SYL;
		if (w1 - i >= 3 * SYL && w1 < n && s[w1] == ' ' && family_at(s + j) &&
		    !in_syls(&S_LABEL_JOSA, s + j) && !is_before(s + i, w1 - i) &&
		    name_label_ends(s, i, j) && name_in_word(s, n, j, w1, to)) {
			*from = j;
			*at = *to;
			return true;
		}
		i = w1;
	}
	*at = n;
	return false;
}

bool
ve_kname_plausible(const char *s, size_t n)
{
	check_tables();
	size_t g =
	    n >= 3 * SYL && in_sorted(family_two, NELEM(family_two), s, 2 * SYL) ? 2 * SYL : SYL;

	if (n < g + SYL || n > g + 2 * SYL || n % SYL || syllable(s, n, 0) < 0)
		return false;
	if (g == SYL && !in_syls(&S_family_common, s) && !in_syls(&S_family_rare, s))
		return false;
	for (size_t i = g; i < n; i += SYL)
		if (syllable(s, n, i) < 0 || !in_syls(&S_given, s + i))
			return false;
	/* 제가, 이가: a one-syllable word and its particle */
	if (n == 2 * SYL && in_syls(&S_JOSA_SYL, s + SYL))
		return false;
	/* 김부장, 이대리: a family name and a title */
	if (starts_list(unnamed_titles, NELEM(unnamed_titles), s + g, n - g))
		return false;
	return !stop_with_tail(s, n) && !dict_with_tail(s, n);
}
