"""Supplier sheets the vocabulary was not written for: French, Spanish, Italian, Dutch, Portuguese, Swedish,
Polish (also typed without diacritics), Danish, Czech, Turkish, Hungarian, Romanian, German with supplier codes,
terse English feeds, Greek, Russian, Ukrainian, Bulgarian, Chinese, Japanese, Korean, Slovak, Croatian, Slovene,
Lithuanian, Estonian, Vietnamese, Indonesian, Arabic and Hebrew; and a sheet in a language the vocabulary does not know at all (Georgian).

Hand-made sheets in the shape of a real delivery (id, department, name, brand, price, enumerated attributes,
image), with other header styles and abbreviations than the dev suppliers. Every column must land right.
"""

from __future__ import annotations

import random

import pytest

from icaam_desktop.core.mapping.mapper import map_delivery

EXPECTED = [
    "sku",
    None,
    "name",
    "brand",
    "price",
    "base_colour",
    "fabric+material",
    "pattern",
    "sleeve_length",
    "fit",
    "neck",
    "gender",
    "season",
    "usage",
    None,
]
# (headers, values per column kind separated by "|", items by ";": colour, material (3 clothes then 3 shoes/bags),
#  pattern, sleeve, fit, neck, gender, season, occasion, price, department)
SHEETS = {
    "fr": (
        "Réf. article|Rayon|Désignation|Marque|Prix TTC (€)|Coloris|Matière|Motif|Manches|Coupe|Encolure|Genre|Saison|Occasion|Visuel",
        "Noir;Blanc;Bleu marine;Gris chiné;Rouge|Coton;Polyester;Laine;Cuir;Similicuir;Toile|Uni;Rayé;À carreaux;Imprimé"
        "|Manches courtes;Manches longues;Sans manches|Coupe droite;Ajusté;Ample|Col rond;Col V;Col polo"
        "|Homme;Femme;Garçon;Fille;Mixte|Printemps;Été;Automne;Hiver|Décontracté;Sport;Soirée;Bureau"
        "|12,50 €;1 299,00 €;45,00|Homme Hauts;Femme Chaussures;Sacs",
    ),
    "es": (
        "Ref.|Sección|Nombre|Marca|PVP|Color|Composición|Estampado|Largo de manga|Ajuste|Cuello|Género|Temporada|Ocasión|Imagen",
        "Negro;Blanco;Azul marino;Gris;Rojo|Algodón;Poliéster;Lana;Piel;Polipiel;Lona|Liso;Rayas;Cuadros;Estampado"
        "|Manga corta;Manga larga;Sin mangas|Regular;Entallado;Holgado|Cuello redondo;Cuello en V;Cuello polo"
        "|Hombre;Mujer;Niño;Niña;Unisex|Primavera;Verano;Otoño;Invierno|Informal;Deporte;Fiesta;Oficina"
        "|12,50;1.299,00;45,00 €|Hombre Tops;Mujer Calzado;Bolsos",
    ),
    "it": (
        "Codice art.|Reparto|Descrizione|Marchio|Prezzo €|Colore|Materiale|Fantasia|Manica|Vestibilità|Scollo|Genere|Stagione|Occasione|Foto",
        "Nero;Bianco;Blu navy;Grigio;Rosso|Cotone;Poliestere;Lana;Pelle;Ecopelle;Tela|Tinta unita;A righe;A quadri;Stampato"
        "|Manica corta;Manica lunga;Senza maniche|Regolare;Aderente;Ampio|Girocollo;Scollo a V;Collo polo"
        "|Uomo;Donna;Bambino;Bambina;Unisex|Primavera;Estate;Autunno;Inverno|Casual;Sport;Festa;Ufficio"
        "|12,50;1.299,00;45,00|Uomo Top;Donna Scarpe;Borse",
    ),
    "nl": (
        "Artikelnr.|Afdeling|Omschrijving|Merk|Verkoopprijs|Kleur|Materiaal|Patroon|Mouwlengte|Pasvorm|Hals|Geslacht|Seizoen|Gelegenheid|Afbeelding",
        "Zwart;Wit;Marineblauw;Grijs;Rood|Katoen;Polyester;Wol;Leer;Kunstleer;Canvas|Effen;Gestreept;Geruit;Bedrukt"
        "|Korte mouw;Lange mouw;Mouwloos|Normaal;Getailleerd;Ruim|Ronde hals;V-hals;Polokraag"
        "|Heren;Dames;Jongens;Meisjes;Unisex|Lente;Zomer;Herfst;Winter|Vrije tijd;Sport;Feest;Kantoor"
        "|12,50;1.299,00;€ 45,00|Heren Tops;Dames Schoenen;Tassen",
    ),
    "en-terse": (
        "ItemCode|DeptDesc|ProdDesc|BrandNm|MSRP USD|Clr|Fabr/Mat|Ptn|SlvLen|FitType|NeckType|Sex|Szn|UsageOcc|ImgURL",
        "BLK;WHT;NVY;GRY;RED|100% Cotton;Poly;Wool Blend;Leather;PU;Canvas|Solid;Stripe;Check;Print"
        "|S/S;L/S;Sleeveless|Regular;Slim;Relaxed|Crew;V-Neck;Polo"
        "|M;W;Boys;Girls;Unisex|SS;AW;Spring;Winter|Casual;Sport;Party;Work"
        "|$12.50;1,299.00;45|Mens Tops;Womens Shoes;Bags",
    ),
    "pt": (
        "Código do artigo|Secção|Nome do produto|Marca|Preço (R$)|Cor|Composição|Padrão|Comprimento da manga|Corte|Decote|Género|Estação|Ocasião|Imagem",
        "Preto;Branco;Azul-marinho;Cinzento;Vermelho|Algodão;Poliéster;Lã;Couro;Pele sintética;Lona|Liso;Listrado;Xadrez;Estampado"
        "|Manga curta;Manga comprida;Sem mangas|Corte regular;Corte justo;Largo|Gola redonda;Decote em V;Gola polo"
        "|Masculino;Feminino;Menino;Menina;Unissexo|Primavera;Verão;Outono;Inverno|Dia a dia;Desporto;Festa;Formal"
        "|R$ 12,50;R$ 1.299,00;45,00|Vestuário Homem;Calçado Senhora;Malas",
    ),
    "sv": (
        "Artikelnr|Avdelning|Produktnamn|Varumärke|Pris (SEK)|Färg|Material|Mönster|Ärmlängd|Passform|Halsringning|Kön|Säsong|Användning|Bildfil",
        "Svart;Vit;Marinblå;Grå;Röd|Bomull;Polyester;Ull;Läder;Konstläder;Canvas|Enfärgad;Randig;Rutig;Tryckt"
        "|Kortärmad;Långärmad;Ärmlös|Normal passform;Smal passform;Lös|Rund hals;V-ringning;Pikékrage"
        "|Herr;Dam;Pojke;Flicka;Unisex|Vår;Sommar;Höst;Vinter|Vardag;Sport;Fest;Formell"
        "|12,50 kr;1 299,00 kr;45 kr|Herr överdelar;Dam skor;Väskor",
    ),
    "pl": (
        "Indeks|Dział|Nazwa produktu|Marka|Cena brutto (zł)|Kolor|Materiał|Wzór|Długość rękawa|Krój|Dekolt|Płeć|Sezon|Przeznaczenie|Zdjęcie",
        "Czarny;Biały;Granatowy;Szary;Czerwony|Bawełna;Poliester;Wełna;Skóra;Ekoskóra;Płótno|Gładki;W paski;W kratę;Z nadrukiem"
        "|Krótki rękaw;Długi rękaw;Bez rękawów|Regularny;Dopasowany;Luźny|Okrągły dekolt;Dekolt w serek;Kołnierzyk polo"
        "|Mężczyzna;Kobieta;Chłopiec;Dziewczynka;Unisex|Wiosna;Lato;Jesień;Zima|Codzienny;Sportowy;Impreza;Wizytowy"
        "|12,50 zł;1\u00a0299,00 zł;45 zł|Odzież męska;Obuwie damskie;Torby",
    ),
    # Polish typed without diacritics (Bialy for Biały, Dlugosc for Długość), as many ERP exports write it.
    "pl-ascii": (
        "Indeks|Dzial|Nazwa|Marka|Cena (PLN)|Kolor|Material|Wzor|Dlugosc rekawa|Kroj|Dekolt|Plec|Sezon|Okazja|Zdjecie",
        "Czarny;Bialy;Granatowy;Szary;Czerwony|Bawelna;Poliester;Welna;Skora;Ekoskora;Plotno|Gladki;W paski;W krate;Z nadrukiem"
        "|Krotki rekaw;Dlugi rekaw;Bez rekawow|Regularny;Dopasowany;Luzny|Okragly dekolt;Dekolt w serek;Kolnierzyk polo"
        "|Mezczyzna;Kobieta;Chlopiec;Dziewczynka;Unisex|Wiosna;Lato;Jesien;Zima|Codzienny;Sportowy;Impreza;Wizytowy"
        "|12,50 zl;1 299,00 zl;45 zl|Odziez meska;Obuwie damskie;Torby",
    ),
    "da": (
        "Varenummer|Afdeling|Produktnavn|Mærke|Pris (DKK)|Farve|Materiale|Mønster|Ærmelængde|Pasform|Halsudskæring|Køn|Sæson|Anledning|Billede",
        "Sort;Hvid;Marineblå;Grå;Rød|Bomuld;Polyester;Uld;Læder;Kunstlæder;Lærred|Ensfarvet;Stribet;Ternet;Printet"
        "|Korte ærmer;Lange ærmer;Ærmeløs|Normal;Smal;Løs|Rund hals;V-hals;Polokrave"
        "|Herre;Dame;Dreng;Pige;Unisex|Forår;Sommer;Efterår;Vinter|Hverdag;Sport;Fest;Kontor"
        "|1.299,00 kr.;12,50 kr.;45 kr.|Herretøj;Damesko;Tasker",
    ),
    "cs": (
        "Kód zboží|Oddělení|Název produktu|Značka|Cena (Kč)|Barva|Materiál|Vzor|Délka rukávu|Střih|Výstřih|Pohlaví|Sezóna|Příležitost|Obrázek",
        "Černá;Bílá;Námořnická modrá;Šedá;Červená|Bavlna;Polyester;Vlna;Kůže;Koženka;Plátno|Jednobarevný;Pruhovaný;Kostkovaný;Potisk"
        "|Krátký rukáv;Dlouhý rukáv;Bez rukávů|Klasický;Úzký;Volný|Kulatý výstřih;Výstřih do V;Polo límec"
        "|Muži;Ženy;Chlapci;Dívky;Unisex|Jaro;Léto;Podzim;Zima|Volný čas;Sport;Večírek;Kancelář"
        "|1 299,00 Kč;12,50 Kč;45 Kč|Pánské oblečení;Dámská obuv;Tašky",
    ),
    # Turkish in capitals, as many ERP exports write it: İ and I are not the lower-case i and ı.
    "tr": (
        "ÜRÜN KODU|BÖLÜM|ÜRÜN ADI|MARKA|SATIŞ FİYATI (TL)|RENK|MALZEME|DESEN|KOL BOYU|KALIP|YAKA TİPİ|CİNSİYET|SEZON|KULLANIM ALANI|GÖRSEL",
        "SİYAH;BEYAZ;LACİVERT;GRİ;KIRMIZI|Pamuk;Polyester;Yün;Deri;Suni Deri;Kanvas|Düz;Çizgili;Kareli;Baskılı"
        "|Kısa Kollu;Uzun Kollu;Kolsuz|Normal Kesim;Dar Kesim;Bol Kesim|Bisiklet Yaka;V Yaka;Polo Yaka"
        "|ERKEK;KADIN;ERKEK ÇOCUK;KIZ ÇOCUK;UNİSEX|İLKBAHAR;YAZ;SONBAHAR;KIŞ|Günlük;Spor;Parti;Ofis"
        "|1.299,00 TL;12,50 TL;45 TL|Erkek Giyim;Kadın Ayakkabı;Çanta",
    ),
    "hu": (
        "Cikkszám|Osztály|Termék neve|Márka|Ár (Ft)|Szín|Anyag|Minta|Ujjhossz|Szabás|Nyakkivágás|Nem|Évszak|Alkalom|Kép",
        "Fekete;Fehér;Sötétkék;Szürke;Piros|Pamut;Poliészter;Gyapjú;Bőr;Műbőr;Vászon|Egyszínű;Csíkos;Kockás;Nyomott mintás"
        "|Rövid ujjú;Hosszú ujjú;Ujjatlan|Normál;Karcsúsított;Bő|Kerek nyak;V-nyak;Pólógallér"
        "|Férfi;Női;Fiú;Lány;Uniszex|Tavasz;Nyár;Ősz;Tél|Hétköznapi;Sport;Buli;Iroda"
        "|1 488 Ft;12 990 Ft;4 590 Ft|Férfi felsők;Női cipők;Táskák",
    ),
    "ro": (
        "Cod articol|Raion|Denumire produs|Marcă|Preț (lei)|Culoare|Material|Desen|Lungime mânecă|Croială|Decolteu|Gen|Sezon|Ocazie|Imagine",
        "Negru;Alb;Bleumarin;Gri;Roșu|Bumbac;Poliester;Lână;Piele;Piele ecologică;Pânză|Uni;În dungi;În carouri;Imprimat"
        "|Mânecă scurtă;Mânecă lungă;Fără mâneci|Normal;Mulat;Lejer|Decolteu rotund;Decolteu în V;Guler polo"
        "|Bărbați;Femei;Băieți;Fete;Unisex|Primăvară;Vară;Toamnă;Iarnă|Casual;Sport;Petrecere;Birou"
        "|120,50 lei;1.299,00 lei;45 lei|Îmbrăcăminte bărbați;Încălțăminte femei;Genți",
    ),
    # German with the supplier's colour numbers, trade season codes (FS = Frühjahr/Sommer, HW = Herbst/Winter)
    # and department jargon (HAKA = Herrenkonfektion, DOB = Damenoberbekleidung).
    "de-codes": (
        "ArtNr|Abteilung|Artikelbezeichnung|Marke|EK-Preis (EUR)|Farbe|Material|Muster|Ärmellänge|Passform|Kragenform|Geschlecht|Saison|Anlass|Bild",
        "schwarz (001);weiß (100);navy (400);grau (900);rot (600)|Baumwolle;Polyester;Wolle;Leder;Lederimitat;Textil"
        "|Uni;Streifen;Karo;Print|Kurzarm;Langarm;Ohne Arm|Normal;Schmal;Weit|Rundhals;V-Neck;Polo"
        "|Herren;Damen;Jungen;Mädchen;Unisex|FS24;HW24;FS25;HW23|Freizeit;Sport;Abend;Business"
        "|1.299,00 €;12,50 €;45,00 €|HAKA;DOB;Taschen",
    ),
    # Greek, Cyrillic (Russian, Ukrainian, Bulgarian), Chinese, Japanese and Korean scripts, and three more Slavic
    # languages in Latin script; written from general knowledge of how shops label these, not from the tables.
    "el": (
        "Κωδικός είδους|Τμήμα|Ονομασία προϊόντος|Μάρκα|Τιμή (€)|Χρώμα|Υλικό|Σχέδιο|Μήκος μανικιού|Εφαρμογή|Λαιμόκοψη|Φύλο|Εποχή|Περίσταση|Φωτογραφία",
        "Μαύρο;Λευκό;Μπλε ναυτικό;Γκρι;Κόκκινο|Βαμβάκι;Πολυεστέρας;Μαλλί;Δέρμα;Συνθετικό δέρμα;Καμβάς|Μονόχρωμο;Ριγέ;Καρό;Εμπριμέ"
        "|Κοντό μανίκι;Μακρύ μανίκι;Αμάνικο|Κανονική;Στενή;Φαρδιά|Στρογγυλή λαιμόκοψη;Λαιμόκοψη V;Γιακάς πόλο"
        "|Ανδρικό;Γυναικείο;Αγόρι;Κορίτσι;Unisex|Άνοιξη;Καλοκαίρι;Φθινόπωρο;Χειμώνας|Καθημερινό;Αθλητικό;Πάρτι;Γραφείο"
        "|12,50 €;1.299,00 €;45,00 €|Ανδρικά ρούχα;Γυναικεία παπούτσια;Τσάντες",
    ),
    "ru": (
        "Артикул|Отдел|Наименование|Бренд|Цена, руб.|Цвет|Материал|Узор|Длина рукава|Посадка|Вырез|Пол|Сезон|Назначение|Фото",
        "Чёрный;Белый;Тёмно-синий;Серый;Красный|Хлопок;Полиэстер;Шерсть;Кожа;Искусственная кожа;Текстиль"
        "|Однотонный;В полоску;В клетку;С принтом|Короткий рукав;Длинный рукав;Без рукавов|Прямая;Приталенная;Свободная"
        "|Круглый вырез;V-образный вырез;Воротник поло|Мужской;Женский;Для мальчиков;Для девочек;Унисекс"
        "|Весна;Лето;Осень;Зима|Повседневный;Спортивный;Вечерний;Офисный|1 299,00 руб.;12,50 руб.;450 руб."
        "|Мужская одежда;Женская обувь;Сумки",
    ),
    "uk": (
        "Артикул|Відділ|Назва товару|Бренд|Ціна, грн|Колір|Матеріал|Візерунок|Довжина рукава|Крій|Виріз|Стать|Сезон|Призначення|Фото",
        "Чорний;Білий;Темно-синій;Сірий;Червоний|Бавовна;Поліестер;Вовна;Шкіра;Штучна шкіра;Текстиль"
        "|Однотонний;У смужку;У клітинку;З принтом|Короткий рукав;Довгий рукав;Без рукавів|Прямий;Приталений;Вільний"
        "|Круглий виріз;V-подібний виріз;Комір поло|Чоловічий;Жіночий;Для хлопчиків;Для дівчаток;Унісекс"
        "|Весна;Літо;Осінь;Зима|Повсякденний;Спортивний;Вечірній;Офісний|1 299,00 грн;12,50 грн;450 грн"
        "|Чоловічий одяг;Жіноче взуття;Сумки",
    ),
    "bg": (
        "Код на артикул|Отдел|Наименование|Марка|Цена (лв.)|Цвят|Материя|Десен|Дължина на ръкава|Кройка|Деколте|Пол|Сезон|Повод|Снимка",
        "Черен;Бял;Тъмносин;Сив;Червен|Памук;Полиестер;Вълна;Кожа;Изкуствена кожа;Текстил|Едноцветен;На райета;На каре;С щампа"
        "|Къс ръкав;Дълъг ръкав;Без ръкави|Стандартна;Вталена;Свободна|Обло деколте;V-образно деколте;Яка поло"
        "|Мъже;Жени;Момчета;Момичета;Унисекс|Пролет;Лято;Есен;Зима|Ежедневен;Спортен;Парти;Офис"
        "|1 299,00 лв.;12,50 лв.;45 лв.|Мъжко облекло;Дамски обувки;Чанти",
    ),
    "zh": (
        "货号|部门|商品名称|品牌|零售价（元）|颜色|材质|图案|袖长|版型|领型|性别|季节|场合|图片",
        "黑色;白色;藏青色;灰色;红色|棉;聚酯纤维;羊毛;真皮;人造革;帆布|纯色;条纹;格子;印花|短袖;长袖;无袖|常规;修身;宽松"
        "|圆领;V领;POLO领|男;女;男童;女童;中性|春季;夏季;秋季;冬季|休闲;运动;派对;通勤|¥129.00;¥1,299.00;¥45.00"
        "|男装上衣;女鞋;箱包",
    ),
    "ja": (
        "品番|部門|商品名|ブランド|価格(税込)|カラー|素材|柄|袖丈|シルエット|ネックライン|性別|シーズン|用途|画像",
        "ブラック;ホワイト;ネイビー;グレー;レッド|綿;ポリエステル;ウール;牛革;合成皮革;キャンバス|無地;ストライプ;チェック;プリント"
        "|半袖;長袖;ノースリーブ|レギュラー;スリム;ゆったり|クルーネック;Vネック;ポロカラー"
        "|メンズ;レディース;男の子;女の子;ユニセックス|春;夏;秋;冬|カジュアル;スポーツ;パーティー;オフィス"
        "|¥1,299;¥12,500;4500円|メンズ トップス;レディース シューズ;バッグ",
    ),
    "ko": (
        "상품코드|부서|상품명|브랜드|판매가(원)|색상|소재|패턴|소매 길이|핏|넥라인|성별|시즌|용도|이미지",
        "블랙;화이트;네이비;그레이;레드|면;폴리에스터;울;가죽;인조가죽;캔버스|무지;스트라이프;체크;프린트|반팔;긴팔;민소매"
        "|레귤러;슬림;루즈|라운드넥;브이넥;폴로 칼라|남성;여성;남아;여아;공용|봄;여름;가을;겨울|캐주얼;스포츠;파티;오피스"
        "|12,900원;129,000원;45,000원|남성 상의;여성 신발;가방",
    ),
    "sk": (
        "Kód tovaru|Oddelenie|Názov produktu|Značka|Cena (€)|Farba|Materiál|Vzor|Dĺžka rukáva|Strih|Výstrih|Pohlavie|Sezóna|Príležitosť|Obrázok",
        "Čierna;Biela;Tmavomodrá;Sivá;Červená|Bavlna;Polyester;Vlna;Koža;Umelá koža;Plátno|Jednofarebný;Pruhovaný;Kockovaný;Potlač"
        "|Krátky rukáv;Dlhý rukáv;Bez rukávov|Klasický;Úzky;Voľný|Okrúhly výstrih;Výstrih do V;Polo golier"
        "|Muži;Ženy;Chlapci;Dievčatá;Unisex|Jar;Leto;Jeseň;Zima|Voľný čas;Šport;Párty;Kancelária"
        "|12,50 €;1 299,00 €;45 €|Pánske oblečenie;Dámska obuv;Tašky",
    ),
    "hr": (
        "Šifra artikla|Odjel|Naziv proizvoda|Marka|Cijena (€)|Boja|Materijal|Uzorak|Duljina rukava|Kroj|Izrez|Spol|Sezona|Prigoda|Slika",
        "Crna;Bijela;Tamnoplava;Siva;Crvena|Pamuk;Poliester;Vuna;Koža;Umjetna koža;Platno|Jednobojno;Prugasto;Karirano;S printom"
        "|Kratki rukav;Dugi rukav;Bez rukava|Klasični;Uski;Široki|Okrugli izrez;V-izrez;Polo ovratnik"
        "|Muškarci;Žene;Dječaci;Djevojčice;Unisex|Proljeće;Ljeto;Jesen;Zima|Casual;Sport;Zabava;Ured"
        "|12,50 €;1.299,00 €;45 €|Muška odjeća;Ženska obuća;Torbe",
    ),
    "sl": (
        "Šifra izdelka|Oddelek|Naziv izdelka|Znamka|Cena (€)|Barva|Material|Vzorec|Dolžina rokava|Kroj|Izrez|Spol|Sezona|Priložnost|Slika",
        "Črna;Bela;Temno modra;Siva;Rdeča|Bombaž;Poliester;Volna;Usnje;Umetno usnje;Platno|Enobarvno;Črtasto;Karirasto;Potiskano"
        "|Kratki rokavi;Dolgi rokavi;Brez rokavov|Klasičen;Ozek;Ohlapen|Okrogel izrez;V-izrez;Polo ovratnik"
        "|Moški;Ženske;Dečki;Deklice;Unisex|Pomlad;Poletje;Jesen;Zima|Vsakdanje;Šport;Zabava;Pisarna"
        "|12,50 €;1.299,00 €;45 €|Moška oblačila;Ženska obutev;Torbe",
    ),
    # Baltic, South-East Asian and right-to-left scripts, written the same way from general knowledge.
    "lt": (
        "Prekės kodas|Skyrius|Prekės pavadinimas|Prekės ženklas|Kaina (€)|Spalva|Medžiaga|Raštas|Rankovės ilgis|Kirpimas|Iškirptė|Lytis|Sezonas|Proga|Nuotrauka",
        "Juoda;Balta;Tamsiai mėlyna;Pilka;Raudona|Medvilnė;Poliesteris;Vilna;Oda;Dirbtinė oda;Drobė|Vienspalvis;Dryžuotas;Languotas;Su raštu"
        "|Trumpos rankovės;Ilgos rankovės;Be rankovių|Įprastas;Prigludęs;Laisvas|Apvali iškirptė;V formos iškirptė;Polo apykaklė"
        "|Vyrams;Moterims;Berniukams;Mergaitėms;Unisex|Pavasaris;Vasara;Ruduo;Žiema|Kasdienis;Sportinis;Vakarėlis;Biuras"
        "|12,50 €;1 299,00 €;45 €|Vyrų drabužiai;Moterų avalynė;Rankinės",
    ),
    "et": (
        "Tootekood|Osakond|Toote nimetus|Kaubamärk|Hind (€)|Värv|Materjal|Muster|Varruka pikkus|Lõige|Kaelus|Sugu|Hooaeg|Kasutus|Pilt",
        "Must;Valge;Tumesinine;Hall;Punane|Puuvill;Polüester;Vill;Nahk;Kunstnahk;Lõuend|Ühevärviline;Triibuline;Ruuduline;Mustriline"
        "|Lühikesed varrukad;Pikad varrukad;Varrukateta|Tavaline;Liibuv;Lõdvem|Ümar kaelus;V-kaelus;Polokrae"
        "|Mehed;Naised;Poisid;Tüdrukud;Unisex|Kevad;Suvi;Sügis;Talv|Igapäevane;Sport;Pidu;Kontor"
        "|12,50 €;1 299,00 €;45 €|Meeste riided;Naiste jalatsid;Kotid",
    ),
    "vi": (
        "Mã sản phẩm|Bộ phận|Tên sản phẩm|Thương hiệu|Giá bán|Màu sắc|Chất liệu|Họa tiết|Độ dài tay áo|Kiểu dáng|Cổ áo|Giới tính|Mùa|Dịp sử dụng|Hình ảnh",
        "Đen;Trắng;Xanh navy;Xám;Đỏ|Cotton;Polyester;Len;Da;Da tổng hợp;Vải canvas|Trơn;Kẻ sọc;Kẻ ca rô;In họa tiết"
        "|Tay ngắn;Tay dài;Không tay|Vừa vặn;Ôm;Rộng|Cổ tròn;Cổ chữ V;Cổ polo"
        "|Nam;Nữ;Bé trai;Bé gái;Unisex|Xuân;Hè;Thu;Đông|Thường ngày;Thể thao;Dự tiệc;Công sở"
        "|129.000 ₫;1.299.000 ₫;450.000 ₫|Thời trang nam;Giày nữ;Túi xách",
    ),
    "id": (
        "Kode Produk|Departemen|Nama Produk|Merek|Harga (Rp)|Warna|Bahan|Motif|Panjang Lengan|Potongan|Kerah|Jenis Kelamin|Musim|Kegunaan|Gambar",
        "Hitam;Putih;Biru Dongker;Abu-abu;Merah|Katun;Poliester;Wol;Kulit;Kulit Sintetis;Kanvas|Polos;Garis-garis;Kotak-kotak;Motif Print"
        "|Lengan Pendek;Lengan Panjang;Tanpa Lengan|Reguler;Slim;Longgar|Leher Bulat;Kerah V;Kerah Polo"
        "|Pria;Wanita;Anak Laki-laki;Anak Perempuan;Unisex|Musim Semi;Musim Panas;Musim Gugur;Musim Dingin|Kasual;Olahraga;Pesta;Kantor"
        "|Rp 129.000;Rp 1.299.000;Rp 45.000|Pakaian Pria;Sepatu Wanita;Tas",
    ),
    "ar": (
        "رمز المنتج|القسم|اسم المنتج|العلامة التجارية|السعر (ر.س)|اللون|الخامة|النقشة|طول الأكمام|القصة|فتحة الرقبة|الجنس|الموسم|المناسبة|الصورة",
        "أسود;أبيض;كحلي;رمادي;أحمر|قطن;بوليستر;صوف;جلد;جلد صناعي;قماش كانفاس|سادة;مخطط;كاروهات;مطبوع"
        "|أكمام قصيرة;أكمام طويلة;بدون أكمام|عادي;ضيق;واسع|رقبة دائرية;رقبة على شكل V;ياقة بولو"
        "|رجالي;نسائي;أولاد;بنات;للجنسين|ربيع;صيف;خريف;شتاء|كاجوال;رياضي;حفلات;مكتب"
        "|129.00 ر.س;1,299.00 ر.س;45.00 ر.س|ملابس رجالية;أحذية نسائية;حقائب",
    ),
    "he": (
        "מק״ט|מחלקה|שם המוצר|מותג|מחיר (₪)|צבע|חומר|הדפס|אורך שרוול|גזרה|צווארון|מגדר|עונה|שימוש|תמונה",
        "שחור;לבן;כחול נייבי;אפור;אדום|כותנה;פוליאסטר;צמר;עור;דמוי עור;קנבס|חלק;פסים;משבצות;מודפס"
        "|שרוול קצר;שרוול ארוך;ללא שרוולים|רגיל;צמוד;רחב|צווארון עגול;צווארון V;צווארון פולו"
        "|גברים;נשים;בנים;בנות;יוניסקס|אביב;קיץ;סתיו;חורף|יומיומי;ספורט;מסיבה;משרד"
        "|129.90 ₪;1,299.00 ₪;45 ₪|הלבשת גברים;הנעלת נשים;תיקים",
    ),
}


def split_values(spec: str) -> list[list[str]]:
    return [group.split(";") for group in spec.split("|")]


def build_rows(language: str, spec: str, rng: random.Random) -> list[list[str]]:
    colour, material, pattern, sleeve, fit, neck, gender, season, occasion, price, dept = split_values(spec)
    rows = []
    for i in range(80):
        clothes = rng.random() < 0.7
        rows.append(
            [
                f"A{i:04d}",
                rng.choice(dept),
                f"Brand{i % 7} {rng.choice(['Shirt', 'Tee', 'Shoe'])} {i}",
                f"Brand{i % 7}",
                rng.choice(price),
                rng.choice(colour),
                rng.choice(material[:3]) if clothes else rng.choice(material[3:]),
                rng.choice(pattern) if clothes else "",
                rng.choice(sleeve) if clothes else "",
                rng.choice(fit) if clothes else "",
                rng.choice(neck) if clothes else "",
                rng.choice(gender),
                rng.choice(season),
                rng.choice(occasion),
                f"https://cdn.example.com/{language}/{i}.jpg",
            ]
        )
    return rows


@pytest.mark.slow
@pytest.mark.parametrize("language", list(SHEETS))
def test_every_column_of_an_unseen_supplier_lands_right(taxonomy, embedder, make_delivery, language):
    headers, spec = SHEETS[language]
    columns = headers.split("|")
    rows = build_rows(language, spec, random.Random(1))
    delivery = make_delivery(columns, rows, image_column=columns[-1])
    result = map_delivery(delivery, taxonomy, embedder=embedder)
    got: dict[str, list[str]] = {}
    for m in result.columns:
        got.setdefault(m.supplier_column, []).append(m.attribute)
    found = ["+".join(sorted(a for a in got[c] if a)) or None for c in columns]
    assert found == EXPECTED
    values = {(v.attribute, v.supplier_value): v.option_code for v in result.values}
    _, spec_values = SHEETS[language]
    colour, _, pattern, sleeve, *_ = split_values(spec_values)
    assert values[("base_colour", colour[0])] == "black"
    assert values[("pattern", pattern[1])] == "striped"
    assert values[("sleeve_length", sleeve[0])] == "short_sleeves"
    if language == "de-codes":
        assert values[("season", "HW23")] == "winter"
        assert values[("season", "FS24")] == "summer"


def test_a_sheet_in_a_language_without_vocabulary_still_finds_name_and_price(taxonomy, make_delivery):
    """Georgian headers, which no vocabulary table knows: the product names (distinct phrases that repeat their
    row's brand) and the prices (numbers with a currency) are found by their values."""
    rng = random.Random(3)
    brands = ["Mtatsminda", "Kavkasia", "Tbili Moda", "Rioni"]
    nouns = ["პერანგი", "კაბა", "შარვალი", "ქურთუკი", "ჩექმები"]
    columns = ["კოდი", "დასახელება", "ბრენდი", "ფასი", "მარაგი", "სურათი"]
    rows = []
    for i in range(45):
        brand = brands[i % len(brands)]
        rows.append(
            [
                f"GE-{1000 + i}",
                f"{brand} {rng.choice(['შავი', 'თეთრი', 'ლურჯი'])} {rng.choice(nouns)} {i}",
                brand,
                f"{rng.randint(10, 200)},{rng.randint(0, 99):02d} €",
                str(rng.randint(0, 50)),
                f"surateebi/GE-{1000 + i}.jpg",
            ]
        )
    result = map_delivery(make_delivery(columns, rows, image_column="სურათი"), taxonomy, use_embeddings=False)
    found = {m.supplier_column: m.attribute for m in result.columns}
    assert found["დასახელება"] == "name" and found["ფასი"] == "price"
    assert found["ბრენდი"] != "name" and found["მარაგი"] is None
    product = result.products["GE-1000"]
    assert product.values["name"].startswith("Mtatsminda") and float(product.values["price"]) > 0
