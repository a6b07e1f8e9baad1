/**
 * Column and element names → product fields: a synonym table per field across the languages feeds
 * come from (English, German, French, Spanish, Italian, Dutch, Polish, Czech, Portuguese), and one
 * normalisation for both sides (case, diacritics, `_`/`-`/space/camelCase, `g:` and other
 * namespace prefixes, plurals, filler words such as `product_` / `du produit`).
 */
import type { ProductField } from "../mapping.js";

/** Synonyms, written naturally; they are normalised like column names when the table is built. */
// prettier-ignore
const SYNONYMS: Record<ProductField, readonly string[]> = {
  sku: [
    "sku", "id", "reference", "ref", "code", "item number", "article number", "offer id", "seller sku",
    "merchant sku", "variant sku", "number", "artikelnummer", "artikelnr", "art nr", "nummer",
    "bestellnummer", "référence", "identifiant", "code article", "referencia", "código", "codigo",
    "riferimento", "codice", "codice articolo", "artikelcode", "kod", "indeks", "symbol", "numer",
    "kód", "katalogové číslo", "číslo", "item id", "id produktu",
  ],
  name: [
    "name", "title", "titel", "bezeichnung", "produktname", "nom", "titre", "libellé", "désignation",
    "nombre", "título", "nome", "titolo", "denominazione", "naam", "nazwa", "název", "productname",
    "name of product", "item name", "product title",
  ],
  url: [
    "url", "link", "deep link", "deeplink", "product url", "product link", "page url", "permalink",
    "landing page", "web url", "lien", "adresse", "enlace", "dirección url", "collegamento",
    "indirizzo", "webadres", "adres", "adres url", "odkaz", "adresa", "endereço", "url strony",
  ],
  image: [
    "image", "image url", "image link", "img", "img url", "imgurl", "picture", "photo", "photo url",
    "main image", "image src", "large image", "thumbnail", "bild", "bild url", "hauptbild", "foto",
    "image principale", "imagen", "imagen url", "immagine", "imagem", "afbeelding", "zdjęcie",
    "obrázek", "obrazek", "url obrázku", "url obrazka", "picture url", "media",
  ],
  price: [
    "price", "sale price", "selling price", "current price", "price vat", "price incl vat",
    "gross price", "preis", "verkaufspreis", "vk preis", "bruttopreis", "prix", "prix ttc",
    "prix de vente", "precio", "precio venta", "prezzo", "prezzo vendita", "prijs", "verkoopprijs",
    "cena", "cena brutto", "cena s dph", "preço", "preço venda", "amount",
  ],
  old_price: [
    "old price", "regular price", "list price", "rrp", "msrp", "compare at price", "compare price", "original price",
    "was price", "price before", "uvp", "streichpreis", "alter preis", "ancien prix", "prix barré",
    "prix de référence", "precio anterior", "precio original", "prezzo originale", "prezzo pieno",
    "oude prijs", "adviesprijs", "cena regularna", "stara cena", "cena katalogowa", "původní cena",
    "preço original", "preço antigo", "standard price",
  ],
  currency: [
    "currency", "currency code", "iso currency", "währung", "devise", "monnaie", "moneda", "divisa",
    "valuta", "munteenheid", "waluta", "měna", "moeda",
  ],
  description: [
    "description", "desc", "long description", "body", "body html", "details", "text", "content",
    "beschreibung", "langbeschreibung", "texte", "descriptif", "descripción", "descrizione",
    "omschrijving", "beschrijving", "opis", "popis", "descrição", "short description", "summary",
  ],
  category: [
    "category", "category path", "category text", "categorytext", "cat",
    "breadcrumb", "department", "kategorie", "warengruppe", "rubrik", "catégorie", "rayon",
    "categoría", "categoria", "categorie", "kategoria", "kategorie text",
  ],
  brand: [
    "brand", "brand name", "manufacturer", "make", "vendor", "marke", "hersteller", "marque",
    "fabricant", "marca", "fabricante", "produttore", "fabbricante", "merk", "fabrikant", "marka",
    "producent", "producent", "značka", "výrobce",
  ],
  gtin: [
    "gtin", "ean", "ean13", "ean 13", "upc", "isbn", "barcode", "gtin13", "ean code", "strichcode",
    "code barre", "code ean", "código de barras", "codice a barre", "streepjescode", "kod kreskowy",
    "čárový kód",
  ],
  mpn: [
    "mpn", "manufacturer part number", "part number", "model", "model number", "productno",
    "herstellernummer", "hersteller artikelnummer", "référence fabricant", "número de pieza",
    "modelo", "codice produttore", "modello", "onderdeelnummer", "kod producenta", "model produktu",
  ],
  availability: [
    "availability", "available", "in stock", "stock", "stock status", "is in stock", "avail",
    "inventory", "verfügbarkeit", "lagerbestand", "bestand", "lieferbar", "disponibilité", "stock",
    "disponibilidad", "disponibilità", "beschikbaarheid", "voorraad", "dostępność", "dostupnost",
    "disponibilidade", "estoque", "delivery date", "quantity", "qty",
  ],
};

/** Words that only say "of the product" and are dropped when other words remain. */
// prettier-ignore
const FILLER = new Set([
  "product", "produkt", "produktu", "produit", "producto", "produto", "prodotto", "item", "article",
  "artikel", "articolo", "artículo", "g", "du", "de", "del", "des", "do", "da", "van", "het", "the",
  "of", "der", "die", "das", "le", "la", "il", "el", "main",
]);

/** Fused prefixes: `productname`, `itemid`, `produktbild` → `name`, `id`, `bild`. */
const FUSED = /^(?:product|produkt|produit|producto|produto|prodotto|item|article|artikel)(?=[a-z]{2,}$)/;

function stem(word: string): string {
  // Plurals: images → image, prices → price, categories → category (English and the like).
  if (word.length > 4 && word.endsWith("ies")) return `${word.slice(0, -3)}y`;
  if (word.length > 3 && word.endsWith("s") && !word.endsWith("ss")) return word.slice(0, -1);
  return word;
}

/** A name as words: lower case, no diacritics, split on `_ - . / @ :` spaces and camelCase. */
export function nameWords(name: string, keepFiller = false): string[] {
  const raw = name
    .replace(/\[@?[^\]=]*=?([^\]]*)\]/g, " $1 ") // `a[@name=EAN]` → `a EAN`
    .replace(/^[a-z]{1,4}:/i, "") // `g:price`
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/ł/g, "l")
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== "")
    .map((w) => stem(w.replace(FUSED, "")));
  if (keepFiller) return raw;
  const kept = raw.filter((w) => !FILLER.has(w));
  return kept.length > 0 ? kept : raw;
}

interface Entry {
  field: ProductField;
  words: string[];
  key: string;
}

const TABLE: readonly Entry[] = (Object.entries(SYNONYMS) as [ProductField, readonly string[]][]).flatMap(
  ([field, names]) =>
    names.map((n) => {
      const words = nameWords(n);
      return { field, words, key: words.join(" ") };
    }),
);

const EXACT = new Map<string, ProductField[]>();
for (const e of TABLE) {
  const l = EXACT.get(e.key) ?? [];
  if (!l.includes(e.field)) l.push(e.field);
  EXACT.set(e.key, l);
}

/** The fields whose synonyms this name is exactly (after normalisation). */
export function exactFields(name: string): ProductField[] {
  return EXACT.get(nameWords(name).join(" ")) ?? [];
}

/**
 * How well a name says a field, 0..1: 1 for an exact synonym, less when a synonym's words are
 * contained in the name (`main_image_url` for image), 0 when unrelated.
 */
export function nameScore(name: string, field: ProductField): number {
  const words = nameWords(name);
  const key = words.join(" ");
  if (EXACT.get(key)?.includes(field)) return 1;
  const set = new Set(words);
  let best = 0;
  for (const e of TABLE) {
    if (e.field !== field) continue;
    if (e.words.every((w) => set.has(w))) {
      best = Math.max(best, 0.5 + (0.3 * e.words.length) / words.length);
    } else if (
      e.words.length === 1 &&
      words.some((w) => w.length > 4 && w.startsWith(e.words[0]!) && e.words[0]!.length >= 4)
    ) {
      // `imgurl`, `ean13`, `preisbrutto`: a fused word starting with a synonym.
      best = Math.max(best, 0.5);
    }
  }
  return best;
}
