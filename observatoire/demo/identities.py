"""Fake direct identifiers (names, NIR, addresses, phones, e-mails, CAF numbers), as real extracts carry them.

Everything is derived from a 64-bit row key by counter-based hashing, so a person is the same wherever the
key is rendered (the demand row and its attribution row, the first and the later DALO rows) and the output
does not depend on the order rows are generated in. The columns are returned as Arrow arrays (dictionary
arrays for the names: no string is materialised in Python) plus the DuckDB SQL expressions that assemble the
text fields while the CSV is written.

All names are plausible for the Pas-de-Calais (French, Flemish, Polish and Italian surnames of the mining
basin) and encodable in Windows-1252. None refers to a real person.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pyarrow as pa

from observatoire.demo.common import geography, mix64

NOMS = (
    "MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT", "DURAND", "LEROY", "MOREAU",
    "SIMON", "LAURENT", "LEFEBVRE", "MICHEL", "GARCIA", "DAVID", "BERTRAND", "ROUX", "VINCENT", "FOURNIER",
    "MOREL", "GIRARD", "ANDRÉ", "LEFÈVRE", "MERCIER", "DUPONT", "LAMBERT", "BONNET", "FRANÇOIS", "MARTINEZ",
    "LEGRAND", "GARNIER", "FAURE", "ROUSSEAU", "BLANC", "GUÉRIN", "MULLER", "HENRY", "ROUSSEL", "NICOLAS",
    "PERRIN", "MORIN", "MATHIEU", "CLÉMENT", "GAUTHIER", "DUMONT", "LOPEZ", "FONTAINE", "CHEVALIER", "ROBIN",
    "DELATTRE", "DELEPINE", "CARON", "LEMAIRE", "DUHAMEL", "DEVAUX", "DELANNOY", "LECLERCQ", "DEBRUYNE",
    "VANDENBERGHE", "DEWAELE", "DECOSTER", "VERMEERSCH", "DECOCK", "HOLLANDER", "BOULANGER", "LEBLANC",
    "DELCOURT", "COUSIN", "DUQUESNE", "DEMARTHE", "WAROT", "DELVAL", "HERBAUT", "LEFRANC", "DESCAMPS",
    "POTIER", "BOCQUET", "CAPRON", "DELFORGE", "DUFOUR", "LECOMTE", "LOUCHART", "MACHU", "PRUVOST", "QUENNESSON",
    "RINGOT", "SAUVAGE", "TELLIER", "VASSEUR", "WATTEZ", "BAILLEUL", "CARPENTIER", "DELEBARRE", "FLAMENT",
    "GOSSELIN", "HAVET", "LAGACHE", "MOUTON", "OGIER", "PLAYE", "TRINEL", "BRUNET", "COQUELLE", "DUCROCQ",
    "KOWALSKI", "NOWAK", "WISNIEWSKI", "LEWANDOWSKI", "WOJCIK", "KAMINSKI", "ZIELINSKI", "SZYMANSKI",
    "KOZLOWSKI", "JANKOWSKI", "MAZUR", "KRAWCZYK", "GRABOWSKI", "PAWLAK", "DUDEK", "ROSSI", "BIANCHI",
    "RUSSO", "ESPOSITO", "RICCI", "MARINO", "GRECO", "BRUNO", "FERRARI", "DI MARCO", "BENALI", "HADDAD",
    "BOUZIANE", "MANSOURI", "CHERIF", "DIALLO", "TRAORÉ", "NGUYEN", "DOS SANTOS", "PEREIRA", "FERREIRA",
    "RODRIGUES", "DA SILVA", "MOREIRA", "SANCHEZ", "FERNANDEZ", "GONZALEZ", "PÉRÈS", "D'HALLUIN", "DE SMET",
    "VAN DAMME", "LE GALL", "LE ROUX", "MASSON", "MARCHAND", "DUVAL", "DENIS", "DUMAS", "LUCAS", "BARBIER",
    "BRUN", "ARNAUD", "GIRAUD", "JOLY", "RIVIÈRE", "BRIDOUX", "CUVELIER", "DELOBEL", "FACON",
)
PRENOMS_F = (
    "Marie", "Nathalie", "Isabelle", "Sylvie", "Catherine", "Sandrine", "Céline", "Stéphanie", "Valérie",
    "Christine", "Aurélie", "Émilie", "Julie", "Laetitia", "Mélanie", "Virginie", "Amandine", "Élodie",
    "Audrey", "Jessica", "Caroline", "Sophie", "Laura", "Camille", "Manon", "Léa", "Chloé", "Sarah", "Inès",
    "Emma", "Jade", "Louise", "Zoé", "Lina", "Maëlys", "Océane", "Morgane", "Justine", "Pauline", "Anaïs",
    "Coralie", "Ludivine", "Delphine", "Karine", "Patricia", "Brigitte", "Monique", "Françoise", "Josiane",
    "Ginette", "Jeannine", "Fatima", "Yasmina", "Nadia", "Samira", "Aïcha", "Fatoumata", "Agnieszka",
    "Wanda", "Stéphanie", "Noémie", "Clémence", "Maëva", "Cindy", "Priscilla", "Kelly", "Séverine", "Gaëlle",
)
PRENOMS_M = (
    "Jean", "Pierre", "Michel", "Philippe", "Alain", "Patrick", "Nicolas", "Christophe", "Stéphane", "Laurent",
    "Frédéric", "David", "Olivier", "Éric", "Sébastien", "Julien", "Thierry", "Pascal", "Franck", "Didier",
    "Jérôme", "Bruno", "Cédric", "Mickaël", "Anthony", "Kévin", "Jordan", "Dylan", "Maxime", "Thomas",
    "Alexandre", "Romain", "Guillaume", "Florian", "Quentin", "Lucas", "Hugo", "Théo", "Nathan", "Enzo",
    "Louis", "Gabriel", "Raphaël", "Léo", "Noah", "Mohamed", "Karim", "Rachid", "Mehdi", "Youssef", "Moussa",
    "Mamadou", "Jacques", "Gérard", "Bernard", "Daniel", "Roger", "René", "Marcel", "Serge", "Gaëtan", "Loïc",
    "Jean-Pierre", "Jean-Claude", "Jean-Luc", "Jean-François", "Tadeusz", "Stanislas", "Giovanni", "José",
)
VOIES = (
    "rue Victor Hugo", "rue Jean Jaurès", "rue de la République", "rue Émile Zola", "rue Pasteur",
    "rue Jules Ferry", "rue Roger Salengro", "rue Léon Blum", "rue du Général de Gaulle", "rue Gambetta",
    "avenue du Maréchal Leclerc", "boulevard de la Liberté", "place de la Mairie", "rue de l'Église",
    "rue du Moulin", "rue de la Gare", "rue des Écoles", "rue Carnot", "rue Voltaire", "rue Anatole France",
    "rue Salvador Allende", "rue Pierre Curie", "rue Henri Barbusse", "rue Paul Éluard", "rue Jean Moulin",
    "rue Arthur Lamendin", "rue Émile Basly", "cité des Provinces", "cité du 12 Bis", "cité Bellevue",
    "cité de la Fosse 9", "cité des Électriciens", "résidence les Tilleuls", "résidence du Parc",
    "résidence les Glycines", "allée des Peupliers", "allée des Acacias", "chemin des Prés",
    "chemin de Halage", "route Nationale", "rue du Château", "rue de Lille", "rue d'Arras", "rue de Béthune",
    "rue de Calais", "rue de Boulogne", "rue Faidherbe", "rue Jeanne d'Arc", "rue de Verdun",
    "rue du 8 Mai 1945", "rue du 11 Novembre", "rue des Mineurs", "rue de la Fosse", "rue des Corons",
    "rue du Marais", "rue des Champs", "rue de la Plage", "quai de la Batellerie", "impasse des Lilas",
    "square Louis Aragon", "rue Marx Dormoy", "rue Condorcet", "rue Lamartine", "rue Alfred de Musset",
)
DOMAINES = ("gmail.com", "orange.fr", "hotmail.fr", "yahoo.fr", "free.fr", "laposte.net", "sfr.fr",
            "outlook.fr", "wanadoo.fr", "live.fr", "icloud.com", "neuf.fr")
DOMAINES_WEIGHTS = (0.34, 0.16, 0.14, 0.08, 0.06, 0.05, 0.04, 0.04, 0.03, 0.03, 0.02, 0.01)
# Département of birth in the NIR: mostly the Pas-de-Calais and its neighbours; 99 = born abroad.
NIR_DEPARTEMENTS = ((62, 0.70), (59, 0.12), (80, 0.04), (75, 0.02), (99, 0.06), (0, 0.06))


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in text.lower() if ch.isalnum() or ch == "-")


def _dictionary(values: tuple[str, ...]) -> pa.Array:
    return pa.array(list(values), pa.string())


_NOMS = _dictionary(NOMS)
_NOMS_ASCII = _dictionary(tuple(_ascii(n) for n in NOMS))
_PRENOMS = _dictionary(PRENOMS_F + PRENOMS_M)
_PRENOMS_ASCII = _dictionary(tuple(_ascii(p) for p in PRENOMS_F + PRENOMS_M))
_VOIES = _dictionary(VOIES)
_DOMAINES = _dictionary(DOMAINES)


def _dict_column(indices: np.ndarray, dictionary: pa.Array) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(indices.astype(np.int16)), dictionary)


def commune_names() -> pa.Array:
    return pa.array(geography().names, pa.string())


def _bits(h: np.ndarray, shift: int, width: int) -> np.ndarray:
    return ((h >> np.uint64(shift)) & np.uint64((1 << width) - 1)).astype(np.int64)


def _pick(h: np.ndarray, shift: int, n: int) -> np.ndarray:
    """An index in [0, n) from 20 bits of a hash (bias below 1e-4 for our list sizes)."""
    return _bits(h, shift, 20) * n >> 20


def columns(keys: np.ndarray, commune: np.ndarray, birth: np.ndarray | None, fields: tuple[str, ...],
            prefix: str = "_") -> dict[str, pa.Array]:
    """Raw Arrow columns (named prefix + field part) for the requested identity fields.

    fields among: nom, prenom, adresse, telephone, courriel, nir, numero_allocataire.
    commune: commune index of the address; birth: birth day numbers (needed for the NIR).
    Three 64-bit hashes per row are sliced into the fields' random choices.
    """
    out: dict[str, pa.Array] = {}
    n = len(keys)
    h1, h2, h3 = (mix64(keys ^ np.uint64(salt)) for salt in (0x51ED270B, 0x2545F491, 0x9E3779B97F4A7C15))
    woman = _bits(h1, 60, 4) < 9  # 9/16 = 56 %: applicants are women a bit more often
    nom = _pick(h1, 0, len(NOMS))
    pf, pm = len(PRENOMS_F), len(PRENOMS_M)
    prenom = np.where(woman, _pick(h1, 20, pf), pf + _pick(h1, 20, pm))
    if {"nom", "courriel"} & set(fields):
        out[prefix + "nom"] = _dict_column(nom, _NOMS)
    if {"prenom", "courriel"} & set(fields):
        out[prefix + "prenom"] = _dict_column(prenom, _PRENOMS)
    if "adresse" in fields:
        u = _bits(h1, 40, 10) / 1024.0
        out[prefix + "num"] = pa.array((1 + np.floor(u * u * 180)).astype(np.int16))
        out[prefix + "voie"] = _dict_column(_pick(h2, 0, len(VOIES)), _VOIES)
        out[prefix + "commune"] = pa.DictionaryArray.from_arrays(pa.array(commune.astype(np.int16)),
                                                                 commune_names())
    if "telephone" in fields:
        mobile = np.where(_bits(h1, 50, 10) < 737, 6, 7)  # 72 % of 06
        out[prefix + "tel"] = pa.array(mobile * 100_000_000 + (_bits(h2, 20, 30) % 100_000_000))
    if "courriel" in fields:
        out[prefix + "nom_ascii"] = _dict_column(nom, _NOMS_ASCII)
        out[prefix + "prenom_ascii"] = _dict_column(prenom, _PRENOMS_ASCII)
        m = _bits(h3, 0, 10)
        out[prefix + "mail_n"] = pa.array(np.where(m < 460, 0, 1 + m % 98).astype(np.int16))
        cum = np.cumsum(DOMAINES_WEIGHTS)
        out[prefix + "domaine"] = _dict_column(
            np.minimum(np.searchsorted(cum / cum[-1], _bits(h3, 10, 16) / 65536.0), len(DOMAINES) - 1), _DOMAINES)
    if "nir" in fields:
        if birth is None:
            raise ValueError("nir needs birth dates")
        b = np.asarray(birth, dtype="int64").astype("datetime64[D]")
        yy = (b.astype("datetime64[Y]").astype(np.int64) + 1970) % 100
        mm = b.astype("datetime64[M]").astype(np.int64) % 12 + 1
        deps, probs = zip(*NIR_DEPARTEMENTS, strict=True)
        cum = np.cumsum(probs)
        dep = np.array(deps)[np.minimum(np.searchsorted(cum / cum[-1], _bits(h3, 26, 16) / 65536.0), len(deps) - 1)]
        dep = np.where(dep == 0, 1 + _bits(h3, 42, 10) % 95, dep)
        com = 1 + _bits(h2, 50, 12) % 899
        order = 1 + _bits(h3, 52, 12) % 998
        nir13 = (np.where(woman, 2, 1) * 10**12 + yy * 10**10 + mm * 10**8 + dep * 10**6 + com * 10**3 + order)
        out[prefix + "nir"] = pa.array(nir13 * 100 + (97 - nir13 % 97))  # 15 digits with the control key
    if "numero_allocataire" in fields:
        out[prefix + "caf"] = pa.array((1 + _bits(h3, 26, 24) % 9_999_999).astype(np.int32))
    assert all(len(a) == n for a in out.values())
    return out


def sql(field: str, prefix: str = "_") -> str:
    """The DuckDB expression that renders a field from the raw columns of ``columns``."""
    p = prefix
    return {
        "nom": f"{p}nom",
        "prenom": f"{p}prenom",
        "adresse": f"CAST({p}num AS VARCHAR) || ' ' || {p}voie || ', ' || {p}commune",
        "telephone": f"'0' || CAST({p}tel AS VARCHAR)",
        "courriel": (f"{p}prenom_ascii || '.' || {p}nom_ascii || "
                     f"CASE WHEN {p}mail_n > 0 THEN CAST({p}mail_n AS VARCHAR) ELSE '' END || '@' || {p}domaine"),
        "nir": f"CAST({p}nir AS VARCHAR)",
        "numero_allocataire": f"lpad(CAST({p}caf AS VARCHAR), 7, '0')",
    }[field]
