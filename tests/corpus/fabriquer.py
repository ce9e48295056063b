"""Writes the bad-input corpus: one folder per case, holding the file(s) as a producer would drop them in
``data/depot/<source>/``. The expected outcome of each case is written by hand in ``cas.yml``.

    python -m tests.corpus.fabriquer      # rewrites tests/corpus/<NN_cas>/ (the files are committed)

Rows are built from the valid rows of ``tests/fabrique.py`` (FSL, DALO) or of ``BASE`` below, with the
personal columns filled by invented people, then one defect per case. Every name and address below is
invented; phone numbers are in the ranges ARCEP reserves for fiction (03 53 48, 06 39 98), e-mails use the
reserved domain example.org, NIR and CAF numbers are visibly fake (all nines).
"""

from __future__ import annotations

import re
import shutil
import sys
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import openpyxl

from observatoire.extracts import SOURCES
from tests.fabrique import VALID_ROWS, workbook, write_csv, write_xlsx

CORPUS = Path(__file__).resolve().parent

# Invented people (nom, prénom, téléphone, courriel, adresse, date de naissance, NIR, n° allocataire CAF).
PERSONNES = [
    ("Vandamme", "Ludivine", "0353480117", "ludivine.vandamme@example.org", "8 rue Jean Jaurès 62300 Lens",
     "14/05/1987", "299999999990117", "9990117"),
    ("Delattre", "Kévin", "0639980224", "kevin.delattre@example.org", "27 avenue du 8 Mai 1945 62400 Béthune",
     "03/11/1992", "199999999990224", "9990224"),
    ("Wacquier", "Hélène", "0639980331", "helene.wacquier@example.org", "5 rue du Sacré-Cœur 62100 Calais",
     "21/07/1976", "299999999990331", "9990331"),
    ("Lefèvre", "François", "0353480448", "f.lefevre@example.org", "14 rue d’Amiens 62000 Arras",
     "02/02/1964", "199999999990448", "9990448"),
    ("Dewaele", "Maëlys", "0639980552", "maelys.dewaele@example.org", "3 allée des Peupliers 62510 Liévin",
     "09/09/2001", "299999999990552", "9990552"),
    ("Bouchez", "Jean-Noël", "0353480669", "jn.bouchez@example.org", "41 rue Émile Zola 62200 Boulogne-sur-Mer",
     "30/01/1958", "199999999990669", "9990669"),
    ("Carpentier", "Océane", "0639980773", "oceane.carpentier@example.org", "2 impasse des Tisserands 62800 Liévin",
     "17/04/1995", "299999999990773", "9990773"),
    ("Hennebelle", "Thérèse", "0353480884", "therese.hennebelle@example.org", "19 rue de la Gare 62140 Hesdin",
     "25/12/1949", "299999999990884", "9990884"),
]
PERSONAL_FIELDS = {"Nom": 0, "Prénom": 1, "Téléphone": 2, "Courriel": 3, "Adresse": 4, "Adresse du logement": 4,
                   "Date de naissance": 5, "NIR": 6, "N° allocataire CAF": 7}

# Valid rows of the sources tests/fabrique.py does not cover (personal columns come from PERSONNES).
BASE = {
    "fsl": VALID_ROWS["fsl"],
    "dalo": VALID_ROWS["dalo"],
    "sne_demandes": {
        "Numéro unique": "", "Code commune de résidence": "62498", "Commune souhaitée 1": "62498",
        "Typologies souhaitées": "T2/T3", "Date de dépôt initial": "04/03/2024", "Date de dernier renouvellement": "",
        "Statut": "ACTIVE", "Date de radiation": "", "Motif de radiation": "", "Demande de mutation": "N",
        "Taille du ménage": "2", "Motif principal": "TROP_CHER", "Prioritaire DALO": "N", "Prioritaire PDALHPD": "N",
    },
    "sne_attributions": {
        "Numéro unique": "", "Date d'attribution": "14/03/2024", "Date de dépôt initial": "02/06/2023",
        "Code commune du logement": "62510", "Typologie attribuée": "T3", "Logement en QPV": "O",
        "Réservataire": "PREFET", "Bailleur": "Maisons & Cités", "Ménage prioritaire DALO": "N",
        "Ménage prioritaire PDALHPD": "O", "Quartile de ressources": "1", "Demande de mutation": "N",
        "Taille du ménage": "3",
    },
    "ccapex": {
        "N° procédure": "", "Code commune": "62427", "Type de bailleur": "PERSONNE_PHYSIQUE",
        "Motif de la procédure": "IMPAYES", "Étape": "COMMANDEMENT_PAYER", "Date de l'étape": "12/02/2024",
        "Montant de la dette": "2345,80", "Décision du jugement": "",
    },
}
NUMEROS = {"fsl": "FSL-2024-{:06d}", "dalo": "DALO-62-2024-{:04d}", "sne_demandes": "0622403100{:07d}",
           "sne_attributions": "0622306100{:07d}", "ccapex": "EXP-62-2023-{:06d}"}
KEYS = {"fsl": "N° dossier", "dalo": "N° recours", "sne_demandes": "Numéro unique",
        "sne_attributions": "Numéro unique", "ccapex": "N° procédure"}


def ligne(source: str, n: int, changes: dict[str, object] | None = None) -> dict[str, object]:
    """A valid row of ``source``: case number ``n``, person ``n`` (cycling), then ``changes`` by header."""
    row: dict[str, object] = dict(BASE[source])
    person = PERSONNES[n % len(PERSONNES)]
    headers = {c.header for c in SOURCES[source].columns}
    row.update({h: person[i] for h, i in PERSONAL_FIELDS.items() if h in headers})
    row[KEYS[source]] = NUMEROS[source].format(n)
    row.update(changes or {})
    return row


def lignes(source: str, first: int, count: int, changes: dict[int, dict[str, object]] | None = None):
    """``count`` valid rows numbered from ``first``; ``changes[i]`` alters the i-th row (0-based)."""
    return [ligne(source, first + i, (changes or {}).get(i)) for i in range(count)]


def headers(source: str) -> list[str]:
    return [c.header for c in SOURCES[source].columns]


def _crlf(path: Path) -> None:
    """Windows line ends, as Excel and EXPLOC write them."""
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))


def _cut_last_line(path: Path, keep_fields: int, keep_chars: int) -> None:
    """Cut the file inside its last line, as an interrupted transfer does (no final line end)."""
    data = path.read_bytes().rstrip(b"\n")
    start = data.rfind(b"\n") + 1
    fields = data[start:].split(b";")
    kept = b";".join(fields[:keep_fields]) + b";" + fields[keep_fields][:keep_chars]
    path.write_bytes(data[:start] + kept)


# --- the cases -------------------------------------------------------------------------------------------
def cas_01(d: Path) -> None:
    (d / "fsl_2024-01_extrait_2024-02-05.csv").write_bytes(b"")


def cas_02(d: Path) -> None:
    write_csv(d / "sne_demandes_2024-02_extrait_2024-03-04.csv", [], "sne_demandes")


def cas_03(d: Path) -> None:
    # Saved as "CSV (séparateur : virgule)": decimal commas then need quotes.
    rows = [{k: f'"{v}"' if "," in str(v) else v for k, v in r.items()} for r in lignes("fsl", 101, 3)]
    write_csv(d / "fsl_2024-02_extrait_2024-03-05.csv", rows, sep=",")


def cas_04(d: Path) -> None:
    rows = lignes("ccapex", 4101, 5, {
        1: {"Étape": "SAISINE_CCAPEX", "Type de bailleur": "BAILLEUR_SOCIAL", "Code commune": "62498"},
        2: {"Étape": "ASSIGNATION", "Date de l'étape": "07/03/2024", "Code commune": "62193"},
        3: {"Étape": "JUGEMENT", "Date de l'étape": "21/03/2024", "Décision du jugement": "DELAIS",
            "Code commune": "62160"},
        4: {"Étape": "DSF_PORTE_CLOSE", "Montant de la dette": "", "Code commune": "62041"},
    })
    _crlf(write_csv(d / "ccapex_2024-T1_extrait_2024-04-12.csv", rows, "ccapex", encoding="cp1252"))


def cas_05(d: Path) -> None:
    rows = lignes("sne_attributions", 501, 4, {
        1: {"Bailleur": "Pas-de-Calais Habitat", "Code commune du logement": "62160", "Typologie attribuée": "T2"},
        2: {"Bailleur": "Habitat Hauts-de-France", "Code commune du logement": "62765", "Réservataire": "BAILLEUR"},
        3: {"Bailleur": "Pas-de-Calais Habitat", "Code commune du logement": "62041", "Logement en QPV": "N"},
    })
    write_csv(d / "sne_attributions_2024-03_extrait_2024-04-08.csv", rows, "sne_attributions", encoding="utf-8-sig")


def cas_06(d: Path) -> None:
    cols = [h for h in headers("dalo") if h != "Type de recours"]
    write_csv(d / "dalo_2023-T4_extrait_2024-01-15.csv", lignes("dalo", 601, 3), "dalo", headers=cols)


def cas_07(d: Path) -> None:
    cols = ["Date dépôt initial" if h == "Date de dépôt initial" else h for h in headers("sne_demandes")]
    rows = [{("Date dépôt initial" if k == "Date de dépôt initial" else k): v for k, v in r.items()}
            for r in lignes("sne_demandes", 701, 3)]
    write_csv(d / "sne_demandes_2024-03_extrait_2024-04-04.csv", rows, "sne_demandes", headers=cols)


def cas_08(d: Path) -> None:
    notes = ["Mme Vandamme rappelée le 12/03, dette CAF en cours", "", "Suivi par M. Poulain, CCAS de Liévin"]
    rows = [dict(r, Observations=notes[i]) for i, r in enumerate(lignes("fsl", 801, 3))]
    write_csv(d / "fsl_2024-03_extrait_2024-04-05.csv", rows, headers=headers("fsl") + ["Observations"])


def cas_09(d: Path) -> None:
    rows = lignes("dalo", 901, 5, {2: {"Date de dépôt": "31/02/2024"}})
    write_csv(d / "dalo_2024-T1_extrait_2024-04-15.csv", rows, "dalo")


def cas_10(d: Path) -> None:
    rows = lignes("sne_attributions", 1001, 4, {2: {"Date d'attribution": "12/05/2025"}})  # typo: 2024
    write_csv(d / "sne_attributions_2024-05_extrait_2024-06-06.csv", rows, "sne_attributions")


def cas_11(d: Path) -> None:
    rows = lignes("fsl", 1101, 4, {
        1: {"Volet": "ENERGIE", "Montant accordé": "-150,00", "Logement identifié": ""},
        3: {"Volet": "MAINTIEN", "Montant accordé": "1840,00", "Logement identifié": ""},
    })
    write_csv(d / "fsl_2024-04_extrait_2024-05-06.csv", rows)


def cas_12(d: Path) -> None:
    rows = lignes("fsl", 1201, 6, {1: {"Code commune": "62000"}, 4: {"Code commune": "59350"}})
    write_csv(d / "fsl_2024-05_extrait_2024-06-05.csv", rows)


def cas_13(d: Path) -> None:
    # Filocom 2021 uses the COG of its year: Huby-Saint-Leu, Marconne and Sainte-Austreberthe, merged into
    # Hesdin-la-Forêt (62447) in 2025, still have their own lines.
    cols = headers("pppi")
    data = [("62041", "2021", "17412", "1123", "512", "611", "201", "922", "604", "N"),
            ("62461", "2021", "823", "41", "", "", "", "", "", "O"),
            ("62549", "2021", "602", "37", "", "", "", "", "", "O"),
            ("62743", "2021", "341", "19", "", "", "", "", "", "O"),
            ("62498", "2021", "8254", "1430", "688", "742", "233", "1197", "811", "N")]
    write_csv(d / "pppi_2021_extrait_2024-06-03.csv", [dict(zip(cols, r, strict=True)) for r in data], "pppi")


def cas_14(d: Path) -> None:
    rows = lignes("ccapex", 1401, 4, {
        1: {"Étape": "ASSIGNATION", "Date de l'étape": "15/05/2024"},
        3: {"Étape": "SAISINE_CCAPEX", "Type de bailleur": "PERSONNE_MORALE"},
    })
    rows.insert(2, dict(rows[0]))  # the same event exported twice
    _crlf(write_csv(d / "ccapex_2024-T2_extrait_2024-07-11.csv", rows, "ccapex", encoding="cp1252"))


def cas_15(d: Path) -> None:
    rows = lignes("sne_attributions", 1501, 3, {2: {"Typologie attribuée": "T4", "Taille du ménage": "5"}})
    first = write_csv(d / "sne_attributions_2024-04_extrait_2024-05-06.csv", rows, "sne_attributions")
    shutil.copyfile(first, d / "sne_attributions_2024-04_extrait_2024-05-06_renvoi.csv")


def cas_16(d: Path) -> None:
    path = write_csv(d / "sne_demandes_2024-04_extrait_2024-05-06.csv", lignes("sne_demandes", 1601, 5),
                     "sne_demandes")
    _cut_last_line(path, keep_fields=3, keep_chars=2)


def cas_17(d: Path) -> None:
    rows = lignes("dalo", 1701, 3, {
        1: {"Type de recours": "HEBERGEMENT", "Motif principal": "DEPOURVU_LOGEMENT", "Typologie demandée": "",
            "Décision": "REORIENTATION", "Suite donnée": ""},
        2: {"Date de décision": "", "Décision": "", "Suite donnée": "", "Code commune": "62160"},
    })
    path = write_xlsx(d / "dalo_2024-T2_extrait_2024-07-10.xlsx", rows, "dalo", title_rows=1)
    wb = openpyxl.load_workbook(path)
    wb.active["A1"] = "Recours DALO/DAHO déposés ou examinés - 2e trimestre 2024 (COMDALO)"
    _save(wb, path, "COMDALO")


def cas_18(d: Path) -> None:
    # The latest CCAPEX extract dates from October 2023: no file since (quarterly cadence).
    _crlf(write_csv(d / "ccapex_2023-T2_extrait_2023-07-14.csv", lignes("ccapex", 1801, 2, {
        0: {"Date de l'étape": "05/05/2023"}, 1: {"Date de l'étape": "22/06/2023"}}), "ccapex", encoding="cp1252"))
    _crlf(write_csv(d / "ccapex_2023-T3_extrait_2023-10-13.csv", lignes("ccapex", 1811, 3, {
        0: {"Date de l'étape": "04/07/2023"}, 1: {"Date de l'étape": "18/08/2023"},
        2: {"Date de l'étape": "29/09/2023", "Étape": "SAISINE_CCAPEX"}}), "ccapex", encoding="cp1252"))


def cas_19(d: Path) -> None:
    # A short date format (JJ/MM/AA) left in Excel before saving as CSV.
    rows = lignes("dalo", 1901, 4, {1: {"Date de dépôt": "10/04/24"}})
    write_csv(d / "dalo_2024-T3_extrait_2024-10-14.csv", rows, "dalo")


def cas_20(d: Path) -> None:
    # An .xlsx as Excel saves it: dates are date cells (JJ/MM/AAAA display), not text.
    def as_date(text: str) -> object:
        return datetime.strptime(text, "%d/%m/%Y").date() if text else ""

    date_headers = [c.header for c in SOURCES["sne_attributions"].columns if c.kind in ("date", "naissance")]
    rows = [{k: (as_date(v) if k in date_headers else v) for k, v in r.items()}
            for r in lignes("sne_attributions", 2001, 3)]
    path = write_xlsx(d / "sne_attributions_2024-06_extrait_2024-07-05.xlsx", rows, "sne_attributions")
    wb = openpyxl.load_workbook(path)
    for row in wb.active.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, datetime | date):
                cell.number_format = "dd/mm/yyyy"
    _save(wb, path, "Infocentre SNE")


def cas_21(d: Path) -> None:
    # Addresses holding a ";" are quoted; the transfer stopped inside one of them.
    rows = lignes("fsl", 2101, 4)
    rows[1]["Adresse"] = '"Résidence Les Tilleuls; bât. B 62300 Lens"'
    rows[3]["Adresse"] = '"Résidence du Parc; esc. 4 62400 Béthune"'
    path = write_csv(d / "fsl_2024-06_extrait_2024-07-04.csv", rows)
    data = path.read_bytes().rstrip(b"\n")
    path.write_bytes(data[:data.rindex(b"esc. 4")])


def cas_22(d: Path) -> None:
    # Excel's "Texte Unicode (*.txt)" renamed .csv: UTF-16 with tabulations.
    cols = headers("pppi")
    text = "\t".join(cols) + "\r\n" + "\t".join(["62193", "2021", "21870", "2411", "1003", "1210", "486",
                                                  "1925", "1320", "N"]) + "\r\n"
    (d / "pppi_2023_extrait_2025-10-15.csv").write_bytes(text.encode("utf-16"))


def cas_23(d: Path) -> None:
    # Every date of one column exported as AAAA-MM-JJ: the format is wrong, not a few rows.
    dates = ["2024-03-04", "2024-03-11", "2024-03-19", "2024-03-27"]
    rows = lignes("sne_demandes", 2301, 4, {i: {"Date de dépôt initial": v} for i, v in enumerate(dates)})
    write_csv(d / "sne_demandes_2024-05_extrait_2024-06-04.csv", rows, "sne_demandes")


def cas_24(d: Path) -> None:
    rows = lignes("ccapex", 2401, 2)
    _crlf(write_csv(d / "Export_EXPLOC_T3_2024.csv", rows, "ccapex", encoding="cp1252"))


def _workbook(path: Path, sheets: dict[str, list[list[object]]], creator: str) -> None:
    _save(workbook(sheets), path, creator)


def _cells_of(source: str, rows: list[dict[str, object]]) -> list[list[object]]:
    return [headers(source)] + [[r.get(h, "") for h in headers(source)] for r in rows]


def cas_30(d: Path) -> None:
    # The month's attributions split over two sheets of the same layout: reading only one would lose rows.
    first = lignes("sne_attributions", 3001, 3)
    second = lignes("sne_attributions", 3011, 2, {0: {"Date d'attribution": "22/07/2024"},
                                                   1: {"Date d'attribution": "29/07/2024"}})
    _workbook(d / "sne_attributions_2024-07_extrait_2024-08-06.xlsx",
              {"Juillet 1-15": _cells_of("sne_attributions", first),
               "Juillet 16-31": _cells_of("sne_attributions", second)}, "Infocentre SNE")


def cas_31(d: Path) -> None:
    # A sheet of notes beside the data: it does not carry the header, so the data sheet is unambiguous.
    rows = lignes("dalo", 3101, 3, {2: {"Type de recours": "HEBERGEMENT", "Typologie demandée": ""}})
    _workbook(d / "dalo_2024-T4_extrait_2025-01-14.xlsx",
              {"Recours": _cells_of("dalo", rows),
               "Notes": [["Extraction COMDALO du 14/01/2025"], ["Filtre : département 62, recours déposés"]]},
              "COMDALO")


def cas_32(d: Path) -> None:
    # Data pasted into a second sheet, the first one (Excel's default "Feuil1") left empty.
    _workbook(d / "sne_demandes_2024-06_extrait_2024-07-04.xlsx",
              {"Feuil1": [], "Export SNE": _cells_of("sne_demandes", lignes("sne_demandes", 3201, 3))},
              "Infocentre SNE")


def cas_33(d: Path) -> None:
    # A runaway field: 5 MB pasted into the free-text column of the second row.
    rows = lignes("fsl", 3301, 4, {1: {"Décision": "REFUS", "Montant accordé": "", "Forme de l'aide": "",
                                       "Motif de refus": ("Ressources supérieures au barème. " * 147059)[:5_000_000]}})
    write_csv(d / "fsl_2024-07_extrait_2024-08-05.csv", rows)


def cas_34(d: Path) -> None:
    # Empty lines (one inside the data, one at the end) and a bad date after the first one.
    path = write_csv(d / "dalo_2025-T1_extrait_2025-04-15.csv",
                     lignes("dalo", 3401, 4, {2: {"Date de dépôt": "30/02/2025"}}), "dalo")
    lines = path.read_bytes().split(b"\n")
    path.write_bytes(b"\n".join(lines[:3] + [b""] + lines[3:]) + b"\n")


def cas_35(d: Path) -> None:
    # Addresses typed on several lines in the producer's tool: quoted, with line ends inside the quotes.
    rows = lignes("fsl", 3501, 5, {
        0: {"Adresse": '"Résidence Les Tilleuls\nbât. B\n62300 Lens"'},
        2: {"Code commune": "62999"},
        3: {"Adresse": '"12 rue Pasteur\r\n62400 Béthune"'},
        4: {"Montant accordé": "-80,00"},
    })
    write_csv(d / "fsl_2024-08_extrait_2024-09-05.csv", rows)


def cas_36(d: Path) -> None:
    # Excel's CSV export of a sheet with two empty columns kept after the last one: ";;" on every line.
    path = write_csv(d / "sne_attributions_2024-08_extrait_2024-09-05.csv", lignes("sne_attributions", 3601, 3),
                     "sne_attributions", encoding="cp1252")
    path.write_bytes(path.read_bytes().replace(b"\n", b";;\r\n"))


def cas_37(d: Path) -> None:
    # A workbook whose transfer stopped halfway.
    path = d / "dalo_2025-T2_extrait_2025-07-10.xlsx"
    _workbook(path, {"Recours": _cells_of("dalo", lignes("dalo", 3701, 40))}, "COMDALO")
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])


def cas_38(d: Path) -> None:
    # A CSV export renamed .xlsx.
    path = write_csv(d / "sne_demandes_2024-07_extrait_2024-08-05.xlsx", lignes("sne_demandes", 3801, 3),
                     "sne_demandes", encoding="cp1252")
    _crlf(path)


def cas_39(d: Path) -> None:
    # Windows line ends with empty lines, a short line and a bad code after them.
    path = write_csv(d / "ccapex_2024-T3_extrait_2024-10-11.csv", lignes("ccapex", 3901, 5, {
        3: {"Étape": "EXPULSION_REALISEE"}}), "ccapex", encoding="cp1252")
    lines = path.read_bytes().split(b"\n")[:-1]
    lines[2] = b";".join(lines[2].split(b";")[:9])  # the 2nd data row stops after its 9th field
    path.write_bytes(b"\r\n".join([lines[0], b"", lines[1], lines[2], b"", b"", lines[3], lines[4], lines[5]])
                     + b"\r\n")


def cas_40(d: Path) -> None:
    # Numéro unique typed as numbers in Excel: 17 digits are beyond what a double holds exactly (2^53), so
    # openpyxl, as Excel, stores 6.224031000000401e+16. A commune typed as a number comes back as 62041.
    rows = lignes("sne_attributions", 4001, 5, {
        1: {"Numéro unique": 62240310000004002}, 2: {"Code commune du logement": 62041.0},
        3: {"Numéro unique": 62240310000004004}})
    path = write_xlsx(d / "sne_attributions_2025-01_extrait_2025-02-05.xlsx", rows, "sne_attributions")
    _save(openpyxl.load_workbook(path), path, "Infocentre SNE")


def cas_41(d: Path) -> None:
    rows = lignes("ccapex", 4111, 5, {1: {"Montant de la dette": "1234567890123,45"},
                                      2: {"Montant de la dette": "999999999999,99"},
                                      3: {"Montant de la dette": "12,345"}})
    write_csv(d / "ccapex_2024-T4_extrait_2025-01-10.csv", rows, "ccapex")


def cas_42(d: Path) -> None:
    rows = lignes("fsl", 4201, 5, {1: {"Nombre de personnes": "99999999999"},
                                   3: {"Nombre de personnes": "2147483647"}})
    write_csv(d / "fsl_2025-01_extrait_2025-02-05.csv", rows)


def cas_43(d: Path) -> None:
    # Saved as CSV by a French Excel: a long number in scientific notation with a decimal comma.
    rows = lignes("sne_demandes", 4301, 5, {1: {"Numéro unique": "6,22403100004302E+16"},
                                            3: {"Commune souhaitée 1": "6,2498E+04"}})
    write_csv(d / "sne_demandes_2025-01_extrait_2025-02-05.csv", rows, "sne_demandes")


def cas_44(d: Path) -> None:
    # French thousands separators: a no-break space (Excel) and a narrow no-break space (LibreOffice).
    rows = lignes("fsl", 4401, 4, {1: {"Montant accordé": "1\u00a0234,56", "Volet": "ACCES"},
                                   2: {"Montant accordé": "2\u202f015,00", "Volet": "ENERGIE"}})
    write_csv(d / "fsl_2025-02_extrait_2025-03-05.csv", rows)


def cas_50(d: Path) -> None:
    # Saved by a system that writes names in capitals.
    write_csv(d / "FSL_2024-07_EXTRAIT_2024-08-05.CSV", lignes("fsl", 5001, 3))


def cas_51(d: Path) -> None:
    write_csv(d / "fsl_2024-13_extrait_2025-01-06.csv", lignes("fsl", 5101, 2))


def cas_52(d: Path) -> None:
    write_csv(d / "dalo_2024-T5_extrait_2025-01-10.csv", lignes("dalo", 5201, 2), "dalo")


def cas_53(d: Path) -> None:
    # A DALO extract dropped in the FSL folder.
    write_csv(d / "dalo_2024-T1_extrait_2024-04-15.csv", lignes("dalo", 5301, 2), "dalo")


def cas_54(d: Path) -> None:
    # The attributions extract dropped in the demands folder.
    write_csv(d / "sne_attributions_2024-07_extrait_2024-08-05.csv", lignes("sne_attributions", 5401, 2),
              "sne_attributions")


def cas_55(d: Path) -> None:
    # An extraction date after today: refused for now, examined again at each refresh.
    write_csv(d / "fsl_2099-01_extrait_2099-02-05.csv", lignes("fsl", 5501, 2))


def cas_56(d: Path) -> None:
    _crlf(write_csv(d / "ccapex_extrait_2024-10-11.csv", lignes("ccapex", 5601, 2), "ccapex", encoding="cp1252"))


def cas_57(d: Path) -> None:
    cols = headers("pppi")
    data = [("62041", "2021", "17412", "1123", "512", "611", "201", "922", "604", "N")]
    write_csv(d / "pppi_2021-06_extrait_2024-06-03.csv", [dict(zip(cols, r, strict=True)) for r in data], "pppi")


def cas_58(d: Path) -> None:
    write_csv(d / "demandes_2024-06_extrait_2024-07-05.csv", lignes("sne_demandes", 5801, 2), "sne_demandes")


def cas_59(d: Path) -> None:
    path = write_xlsx(d / "dalo_2024-T4_extrait_2025-01-10.XLSX", lignes("dalo", 5901, 2), "dalo")
    _save(openpyxl.load_workbook(path), path, "COMDALO")


# --- Open data (docs/sources/insee.md): files as the Insee publishes them, each with one layout defect -------
def _insee(path: Path, header: list[str], rows: list[list[str]], sep: str = ";") -> None:
    path.write_text("\r\n".join(sep.join(r) for r in [header, *rows]) + "\r\n", encoding="utf-8")


EMPLOI = ["CODGEO", "P21_POP1564", "P21_ACT1564", "P21_CHOM1564"]
EMPLOI_ROWS = [["59350", "152112.4", "101338.12", "20411.7"], ["62001", "1236.27", "897.3", "96.01"],
               ["62041", "26046.8", "17290.55", "3052.2"]]


def cas_60(d: Path) -> None:
    # A column of another census in a 2022 file: millésimes mixed up by a hand-made merge.
    _insee(d / "base-cc-emploi-pop-active-2022.CSV", ["CODGEO", "P22_POP1564", "P21_ACT1564", "P22_CHOM1564"],
           EMPLOI_ROWS)


def cas_61(d: Path) -> None:
    # The file renamed by hand: the loader reads the millésime in the publisher's name.
    _insee(d / "emploi_2021.csv", EMPLOI, EMPLOI_ROWS)


def cas_62(d: Path) -> None:
    # Re-saved by a spreadsheet with commas (millésime 2020: each case has its own file name).
    _insee(d / "base-cc-emploi-pop-active-2020.CSV", [h.replace("21", "20") for h in EMPLOI], EMPLOI_ROWS, sep=",")


def cas_63(d: Path) -> None:
    # A variable the observatory uses is missing (an extract of a few columns from the dossier complet).
    _insee(d / "base-cc-emploi-pop-active-2019.CSV", ["CODGEO", "P19_POP1564", "P19_CHOM1564"],
           [r[:2] + r[3:] for r in EMPLOI_ROWS])


def cas_64(d: Path) -> None:
    # Another département's Filosofi file dropped in the folder: no row of the Pas-de-Calais.
    _insee(d / "cc_filosofi_2022_DEP.csv", ["CODGEO", "LIBGEO", "NBMENFISC22", "NBPERSMENFISC22", "MED22", "TP6022"],
           [["59", "Nord", "1050000", "2550000", "20010", "17.9"]])


def cas_65(d: Path) -> None:
    # Filosofi by commune: secret cells (s, nd, empty) are valid; a value that is no number is quarantined.
    header = ["CODGEO", "LIBGEO", "NBMENFISC21", "NBPERSMENFISC21", "MED21", "TP6021"]
    _insee(d / "cc_filosofi_2021_COM.csv", header, [
        ["62001", "Ablain-Saint-Nazaire", "801", "1950", "21480", "s"],
        ["62002", "Ablainzevelle", "s", "s", "nd", ""],
        ["62041", "Arras", "20112", "39854", "19870", "21,4"],
        ["62043", "Athies", "420", "1040", "n/a", "s"]])


def cas_72(d: Path) -> None:
    # An RPLS workbook re-saved with only the EPCI sheet: no sheet carries the communes' technical header.
    wb = workbook({"EPCI": [["Parc locatif social au 1er janvier 2020"], [], ["EPCI", "LIBEPCI", "nb_ls"],
                            ["200033579", "CU d'Arras", "15012"]]})
    _save(wb, d / "resultats_rpls_2020.xlsx", "SDES")


def cas_66(d: Path) -> None:
    # Two earlier censuses in the 2021 file (2015 and 2010): the most recent one is the comparison.
    header = ["CODGEO", "P21_POP", "P15_POP", "P10_POP", "P21_POP0019", "P21_POP6074", "P21_POP75P", "P21_POP65P"]
    _insee(d / "base-cc-evol-struct-pop-2021.CSV", header, [
        ["62001", "1994.2", "1950.1", "1890", "480", "330.5", "190", "350"],
        ["62041", "41555.3", "40721.9", "42013", "9805", "6120", "3508.7", "6901"]])


# --- CAF (docs/sources/caf.md): the data.caf.fr export, saved by the team as caf_s_ben_com_f_AAAA.csv ----------
CAF_HEADER = ["dtreffre", "numcomdo", "nomcom", "numepci", "numdep", "numregi", "indfoy_ndur", "indnbp_ndur",
              "indfoy_rsa", "indnbp_rsa", "indmtt_rsa"]


def _caf(path: Path, rows: list[list[str]]) -> None:
    path.write_text("\n".join(";".join(r) for r in [CAF_HEADER, *rows]) + "\n", encoding="utf-8-sig")


def cas_73(d: Path) -> None:
    # The export downloaded without filtering on one December, saved under one year's name: two Decembers in it.
    _caf(d / "caf_s_ben_com_f_2019.csv", [
        ["2019-12", "62041", "ARRAS", "200033579", "62", "32", "11250", "24800", "2180", "4550", "1225000"],
        ["2019-12", "62001", "ABLAIN-SAINT-NAZAIRE", "246200364", "62", "32", "340", "815", "25", "55", "14000"],
        ["2018-12", "62041", "ARRAS", "200033579", "62", "32", "11105", "24600", "2245", "4630", "1198000"]])


def cas_74(d: Path) -> None:
    # The export dropped under the name the portal gives it: no December in the name.
    _caf(d / "s_ben_com_f.csv", [
        ["2019-12", "62041", "ARRAS", "200033579", "62", "32", "11250", "24800", "2180", "4550", "1225000"]])


def cas_75(d: Path) -> None:
    # A December as exported: a commune under secret (empty RSA cells), the households placed in no commune (62XXX),
    # a row without commune code and one of another département (left out), a code of no commune (quarantined).
    _caf(d / "caf_s_ben_com_f_2018.csv", [
        ["2018-12", "62041", "ARRAS", "200033579", "62", "32", "11250", "24800", "2180", "4550", "1225000"],
        ["2018-12", "33063", "BORDEAUX", "243300316", "33", "75", "61500", "125000", "9260", "19450", "4996200"],
        ["2018-12", "62002", "ABLAINZEVELLE", "200035442", "62", "32", "45", "110", "", "", ""],
        ["2018-12", "62XXX", "", "", "62", "32", "410", "655", "185", "240", "103000"],
        ["2018-12", "", "", "", "", "", "2450", "3100", "1830", "2010", "1025000"],
        ["2018-12", "6204", "ARRAS", "", "62", "32", "10", "20", "5", "10", "2800"]])


# --- FINESS (docs/sources/finess.md): a comment first line, no header, positional fields, sections ----------
def _finess(path: Path, lines: list[list[str]], first: str = "finess;etalab;4;2024-03-15",
            encoding: str = "utf-8") -> None:
    path.write_text("\n".join([first, *(";".join(f) for f in lines)]) + "\n", encoding=encoding)


def _etablissement(number: str, commune: str, category: str) -> list[str]:
    """A structureet line of 32 fields (address and phone invented: never loaded)."""
    dep = number[:2]
    return ["structureet", number, f"{dep}0000000", "ETABLISSEMENT", "", "", "", "3", "R", "DES LILAS", "", "",
            commune, dep, "PAS-DE-CALAIS" if dep == "62" else "NORD", f"{dep}000 VILLE", "0321000000", "",
            category, "Libellé", "4301", "Adultes en difficulté", "", "", "", "", "", "", "2001-01-01",
            "2001-01-01", "2023-06-30", ""]


def _equipement(number: str, places: str, deleted: str = "N", client: str = "840") -> list[str]:
    """An equipementsocial line of 28 fields."""
    return ["equipementsocial", number, "957", "Hébergement d'insertion", "11", "Hébergement complet", client,
            "Personnes en difficulté", "S", places, "", "", places, "", "", deleted, "2019-01-01", "", places, "",
            "", "", "", "", deleted, "2001-01-01", "", ""]


def cas_67(d: Path) -> None:
    # Opened and re-saved by a spreadsheet with a header added: line 1 is no longer the publisher's comment.
    _finess(d / "etalab-cs1100502-stock-20240315-0412.csv", [_etablissement("620000011", "041", "214")],
            first="section;nofinesset;nofinessej;rs;rslongue;complrs;compldistrib;numvoie;typvoie;voie")


def cas_68(d: Path) -> None:
    # A structureet line with one field too many (a ';' typed in a name): quarantined, the others loaded.
    _finess(d / "etalab-cs1100502-stock-20240316-0412.csv", [
        _etablissement("620000011", "041", "214"), _etablissement("620000029", "193", "258"),
        _etablissement("620000037", "160", "257")[:3] + ["CHRS; LES TILLEULS"] + _etablissement(
            "620000037", "160", "257")[3:]])


def cas_69(d: Path) -> None:
    # An equipment file of another département only (a regional extract): nothing of the Pas-de-Calais.
    _finess(d / "etalab-cs1100505-stock-20240317-0412.csv", [
        ["structureet", "590000011", "590000000"], _equipement("590000011", "60")])


def cas_70(d: Path) -> None:
    # Renamed by hand: the extraction day is read in the publisher's name.
    _finess(d / "finess_etablissements_2024.csv", [_etablissement("620000011", "041", "214")])


def cas_71(d: Path) -> None:
    # The equipment file as published: structureet lines first, a deleted installation, a line with more fields
    # than the 28 named, another département, Windows-1252.
    _finess(d / "etalab-cs1100505-stock-20240318-0412.csv", [
        ["structureet", "620000011", "620000000"], ["structureet", "590000011", "590000000"],
        _equipement("620000011", "40"), _equipement("620000011", "12", deleted="O", client="850"),
        _equipement("590000011", "60"), _equipement("620000029", "25") + ["2023-01-01", "X"]],
        encoding="cp1252")


CAS: dict[str, Callable[[Path], None]] = {
    "01_fichier_vide": cas_01,
    "02_entete_seul": cas_02,
    "03_mauvais_separateur": cas_03,
    "04_windows_1252": cas_04,
    "05_bom_utf8": cas_05,
    "06_colonne_manquante": cas_06,
    "07_colonne_renommee": cas_07,
    "08_colonne_supplementaire": cas_08,
    "09_date_illisible": cas_09,
    "10_date_future": cas_10,
    "11_montant_negatif": cas_11,
    "12_commune_inconnue": cas_12,
    "13_ancien_code_commune": cas_13,
    "14_doublons_dans_le_fichier": cas_14,
    "15_meme_fichier_deux_noms": cas_15,
    "16_derniere_ligne_tronquee": cas_16,
    "17_xlsx_ligne_de_titre": cas_17,
    "18_extrait_perime": cas_18,
    "19_annee_sur_deux_chiffres": cas_19,
    "20_xlsx_cellules_date": cas_20,
    "21_guillemet_non_ferme": cas_21,
    "22_utf16": cas_22,
    "23_dates_iso_toute_la_colonne": cas_23,
    "24_nom_sans_date_extraction": cas_24,
    "30_xlsx_deux_feuilles_de_donnees": cas_30,
    "31_xlsx_feuille_de_notes": cas_31,
    "32_xlsx_donnees_en_deuxieme_feuille": cas_32,
    "33_champ_de_5_mo": cas_33,
    "34_lignes_vides": cas_34,
    "35_retours_a_la_ligne_entre_guillemets": cas_35,
    "36_colonnes_vides_en_fin_de_ligne": cas_36,
    "37_xlsx_tronque": cas_37,
    "38_csv_renomme_en_xlsx": cas_38,
    "39_lignes_vides_et_ligne_courte_crlf": cas_39,
    "40_xlsx_identifiant_numerique": cas_40,
    "41_montant_hors_bornes": cas_41,
    "42_entier_hors_bornes": cas_42,
    "43_csv_notation_scientifique": cas_43,
    "44_separateurs_de_milliers": cas_44,
    "50_nom_en_majuscules": cas_50,
    "51_mois_impossible": cas_51,
    "52_trimestre_impossible": cas_52,
    "53_fichier_dalo_dans_le_dossier_fsl": cas_53,
    "54_attributions_dans_le_dossier_demandes": cas_54,
    "55_extraction_datee_du_futur": cas_55,
    "56_periode_absente": cas_56,
    "57_millesime_pppi_au_mois": cas_57,
    "58_nom_sans_la_source": cas_58,
    "59_extension_xlsx_en_majuscules": cas_59,
    "60_insee_millesimes_melanges": cas_60,
    "61_insee_fichier_renomme": cas_61,
    "62_insee_separateur_virgule": cas_62,
    "63_insee_variable_absente": cas_63,
    "64_filosofi_autre_departement": cas_64,
    "65_filosofi_secret_et_valeur_illisible": cas_65,
    "66_insee_deux_recensements_anterieurs": cas_66,
    "72_rpls_sans_feuille_des_communes": cas_72,
    "67_finess_premiere_ligne_en_tete": cas_67,
    "68_finess_ligne_avec_un_champ_de_trop": cas_68,
    "69_finess_autre_departement": cas_69,
    "70_finess_fichier_renomme": cas_70,
    "71_finess_equipements_sections": cas_71,
    "73_caf_export_non_filtre": cas_73,
    "74_caf_export_sous_le_nom_du_portail": cas_74,
    "75_caf_secret_et_commune_non_localisee": cas_75,
}


def _save(wb, path: Path, creator: str) -> None:
    wb.properties.created = wb.properties.modified = datetime(2024, 7, 10, 9, 0)  # stable properties
    wb.properties.creator = wb.properties.lastModifiedBy = creator
    wb.save(path)
    # Stable bytes too (openpyxl stamps the archive's members and the "modified" property with the current
    # time): a cut workbook is compared byte for byte.
    with zipfile.ZipFile(path) as archive:
        members = [(info.filename, archive.read(info)) for info in archive.infolist()]
    members = [(name, re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2024-07-10T09:00:00Z", data)
                if name == "docProps/core.xml" else data) for name, data in members]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 7, 10, 9, 0, 0)), data,
                             compress_type=zipfile.ZIP_DEFLATED)


def fabriquer(dest: Path = CORPUS) -> None:
    """Write every case folder under ``dest`` (existing case folders are replaced)."""
    for name, make in CAS.items():
        folder = dest / name
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        make(folder)


if __name__ == "__main__":
    fabriquer(Path(sys.argv[1]) if len(sys.argv) > 1 else CORPUS)
