"""The table of cases the rules are checked against, drawn from the sources' thresholds: each
rule on both sides of its threshold, the IMCI fast-breathing cut-offs at 2 and 12 months, every
NEWS2 band edge. Both engines (Python and the browser's) are run on every case."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Case:
    name: str
    age_months: int
    urgency: str
    signs: tuple[str, ...] = ()
    sex: str = "male"
    measurements: dict[str, Any] = field(default_factory=dict)
    consciousness: str = ""
    ticked: tuple[str, ...] = ()
    # None: not checked by this case; otherwise the NEWS2 total expected.
    news2: int | None = None
    missing: tuple[str, ...] | None = None


# An adult whose NEWS2 is 0 when nothing else is changed.
CALM = {
    "respiratory_rate": 16,
    "spo2": 97,
    "systolic": 120,
    "pulse": 70,
    "temperature": 37.0,
}
ADULT = 40 * 12


def adult(name: str, urgency: str, signs: tuple[str, ...], news2: int, **changes: Any) -> Case:
    consciousness = changes.pop("consciousness", "A")
    ticked = changes.pop("ticked", ())
    return Case(
        name,
        ADULT,
        urgency,
        signs,
        measurements={**CALM, **changes},
        consciousness=consciousness,
        ticked=ticked,
        news2=news2,
        missing=(),
    )


CASES: list[Case] = [
    # --- Young infant, 0 up to 2 months (IMCI: very severe disease) -----------------------------
    Case(
        "infant, nothing found",
        1,
        "routine",
        measurements={"respiratory_rate": 45, "temperature": 36.8, "spo2": 97},
        consciousness="A",
        missing=(),
    ),
    Case(
        "infant, chest indrawing",
        1,
        "emergency",
        ("yi-chest-indrawing",),
        ticked=("chest_indrawing",),
    ),
    Case(
        "infant, not feeding well",
        0,
        "emergency",
        ("yi-not-feeding-well",),
        ticked=("not_feeding_well",),
    ),
    Case("infant, convulsions", 1, "emergency", ("yi-convulsions",), ticked=("convulsions",)),
    Case(
        "infant, moves only when stimulated",
        1,
        "emergency",
        ("yi-movement",),
        ticked=("movement_only_stimulated",),
    ),
    Case("infant, 59 breaths", 1, "routine", measurements={"respiratory_rate": 59}),
    Case(
        "infant, 60 breaths",
        1,
        "emergency",
        ("yi-fast-breathing",),
        measurements={"respiratory_rate": 60},
    ),
    Case("infant, 37.4 °C", 1, "routine", measurements={"temperature": 37.4}),
    Case("infant, 37.5 °C", 1, "emergency", ("yi-fever",), measurements={"temperature": 37.5}),
    Case("infant, 35.5 °C", 1, "routine", measurements={"temperature": 35.5}),
    Case(
        "infant, 35.4 °C",
        1,
        "emergency",
        ("yi-low-temperature",),
        measurements={"temperature": 35.4},
    ),
    # --- The cut-off at 2 months --------------------------------------------------------------------
    Case(
        "1 month, 55 breaths: under the young infant's 60",
        1,
        "routine",
        measurements={"respiratory_rate": 55},
    ),
    Case(
        "2 months, 55 breaths: fast for 2 up to 12 months",
        2,
        "urgent",
        ("child-fast-breathing-2-12",),
        measurements={"respiratory_rate": 55},
    ),
    Case("2 months, 49 breaths", 2, "routine", measurements={"respiratory_rate": 49}),
    Case(
        "2 months, 50 breaths",
        2,
        "urgent",
        ("child-fast-breathing-2-12",),
        measurements={"respiratory_rate": 50},
    ),
    Case(
        "2 months, chest indrawing is pneumonia, not very severe disease",
        2,
        "urgent",
        ("child-chest-indrawing",),
        ticked=("chest_indrawing",),
    ),
    Case(
        "2 months, 37.6 °C is not a young infant's fever",
        2,
        "routine",
        measurements={"temperature": 37.6},
    ),
    Case(
        "1 month, not feeding: the older child's sign is not shown",
        1,
        "routine",
        ticked=("unable_to_drink",),
    ),
    # --- The cut-off at 12 months -------------------------------------------------------------------
    Case("11 months, 49 breaths", 11, "routine", measurements={"respiratory_rate": 49}),
    Case(
        "11 months, 50 breaths",
        11,
        "urgent",
        ("child-fast-breathing-2-12",),
        measurements={"respiratory_rate": 50},
    ),
    Case(
        "12 months, 45 breaths: fast from 12 months",
        12,
        "urgent",
        ("child-fast-breathing-12-60",),
        measurements={"respiratory_rate": 45},
    ),
    Case("12 months, 39 breaths", 12, "routine", measurements={"respiratory_rate": 39}),
    Case(
        "12 months, 40 breaths",
        12,
        "urgent",
        ("child-fast-breathing-12-60",),
        measurements={"respiratory_rate": 40},
    ),
    Case(
        "11 months, 45 breaths: not fast under 12 months",
        11,
        "routine",
        measurements={"respiratory_rate": 45},
    ),
    Case(
        "59 months, 40 breaths",
        59,
        "urgent",
        ("child-fast-breathing-12-60",),
        measurements={"respiratory_rate": 40},
    ),
    Case(
        "60 months, 40 breaths: IMCI ends at 5 years",
        60,
        "routine",
        measurements={"respiratory_rate": 40},
    ),
    # --- General danger signs, 2 months up to 5 years ----------------------------------------------
    Case(
        "child, unable to drink",
        24,
        "emergency",
        ("gds-unable-to-drink",),
        ticked=("unable_to_drink",),
    ),
    Case(
        "child, vomits everything",
        24,
        "emergency",
        ("gds-vomits-everything",),
        ticked=("vomits_everything",),
    ),
    Case("child, convulsions", 24, "emergency", ("gds-convulsions",), ticked=("convulsions",)),
    Case("child, lethargic", 24, "emergency", ("gds-lethargic",), ticked=("lethargic",)),
    Case("child, stridor", 24, "emergency", ("child-stridor",), ticked=("stridor",)),
    Case(
        "child, chest indrawing and fast breathing",
        24,
        "urgent",
        ("child-fast-breathing-12-60", "child-chest-indrawing"),
        measurements={"respiratory_rate": 44},
        ticked=("chest_indrawing",),
    ),
    Case(
        "child, danger sign and pneumonia: the highest wins",
        24,
        "emergency",
        ("gds-lethargic", "child-chest-indrawing"),
        ticked=("lethargic", "chest_indrawing"),
    ),
    Case(
        "child of 6 years, lethargic: IMCI's sign is not shown",
        72,
        "routine",
        ticked=("lethargic",),
    ),
    # --- Any age: oxygen saturation, coma, convulsing now -----------------------------------------
    Case("child, SpO2 90", 24, "routine", measurements={"spo2": 90}),
    Case("child, SpO2 89", 24, "emergency", ("spo2-low",), measurements={"spo2": 89}),
    Case(
        "adult, SpO2 88",
        ADULT,
        "emergency",
        ("spo2-low", "news2-single-3"),
        measurements={"spo2": 88},
    ),
    Case("child, responds to voice", 24, "routine", consciousness="V"),
    Case("child, responds to pain only", 24, "emergency", ("avpu-p-or-u",), consciousness="P"),
    Case("child, unresponsive", 30, "emergency", ("avpu-p-or-u",), consciousness="U"),
    Case("child, convulsing now", 30, "emergency", ("convulsing-now",), ticked=("convulsing_now",)),
    # --- Severe dehydration (ETAT, children) ----------------------------------------------------------
    Case(
        "child, severe dehydration",
        30,
        "emergency",
        ("etat-severe-dehydration",),
        ticked=("severe_dehydration",),
    ),
    Case(
        "14 years, severe dehydration",
        191,
        "emergency",
        ("etat-severe-dehydration",),
        ticked=("severe_dehydration",),
    ),
    Case(
        "16 years, severe dehydration: the children's rule ends",
        192,
        "routine",
        ticked=("severe_dehydration",),
    ),
    Case(
        "1 month, severe dehydration: the young infant's chart is apart",
        1,
        "routine",
        ticked=("severe_dehydration",),
    ),
    # --- Pregnancy (IMPAC) -----------------------------------------------------------------------------
    Case(
        "pregnant, bleeding",
        300,
        "emergency",
        ("impac-bleeding",),
        sex="female",
        ticked=("pregnant", "bleeding_in_pregnancy"),
    ),
    Case(
        "pregnant, 159/109",
        300,
        "routine",
        sex="female",
        measurements={"systolic": 159, "diastolic": 109},
        ticked=("pregnant",),
    ),
    Case(
        "pregnant, 160/100",
        300,
        "emergency",
        ("impac-severe-hypertension",),
        sex="female",
        measurements={"systolic": 160, "diastolic": 100},
        ticked=("pregnant",),
    ),
    Case(
        "pregnant, 150/110",
        300,
        "emergency",
        ("impac-severe-hypertension",),
        sex="female",
        measurements={"systolic": 150, "diastolic": 110},
        ticked=("pregnant",),
    ),
    Case(
        "not pregnant, 165/112: no obstetric rule",
        300,
        "routine",
        sex="female",
        measurements={"systolic": 165, "diastolic": 112},
    ),
    Case(
        "pregnant, convulsions",
        300,
        "emergency",
        ("impac-eclampsia",),
        sex="female",
        ticked=("pregnant", "convulsions"),
    ),
    Case(
        "a man cannot tick pregnancy",
        300,
        "routine",
        sex="male",
        ticked=("pregnant", "bleeding_in_pregnancy"),
    ),
    Case(
        "pregnant, no blood pressure: it would help",
        300,
        "routine",
        sex="female",
        ticked=("pregnant",),
        missing=("spo2", "consciousness", "systolic", "diastolic"),
    ),
    # --- NEWS2, 16 years and over (RCP 2017, chart 1) -------------------------------------------
    adult("adult, every parameter normal", "routine", (), 0),
    Case(
        "15 years: NEWS2 not used",
        191,
        "routine",
        measurements={**CALM, "respiratory_rate": 26},
        consciousness="A",
    ),
    Case(
        "16 years: NEWS2 used",
        192,
        "urgent",
        ("news2-single-3",),
        measurements={**CALM, "respiratory_rate": 26},
        consciousness="A",
        news2=3,
    ),
    Case(
        "pregnant: NEWS2 not used",
        300,
        "routine",
        sex="female",
        measurements={**CALM, "respiratory_rate": 26},
        consciousness="A",
        ticked=("pregnant",),
    ),
    # respiratory rate: ≤8 3, 9–11 1, 12–20 0, 21–24 2, ≥25 3
    adult("RR 8", "urgent", ("news2-single-3",), 3, respiratory_rate=8),
    adult("RR 9", "routine", (), 1, respiratory_rate=9),
    adult("RR 11", "routine", (), 1, respiratory_rate=11),
    adult("RR 12", "routine", (), 0, respiratory_rate=12),
    adult("RR 20", "routine", (), 0, respiratory_rate=20),
    adult("RR 21", "routine", (), 2, respiratory_rate=21),
    adult("RR 24", "routine", (), 2, respiratory_rate=24),
    adult("RR 25", "urgent", ("news2-single-3",), 3, respiratory_rate=25),
    # SpO2 scale 1: ≤91 3, 92–93 2, 94–95 1, ≥96 0 (below 90 is also its own rule)
    adult("SpO2 91", "urgent", ("news2-single-3",), 3, spo2=91),
    adult("SpO2 92", "routine", (), 2, spo2=92),
    adult("SpO2 93", "routine", (), 2, spo2=93),
    adult("SpO2 94", "routine", (), 1, spo2=94),
    adult("SpO2 95", "routine", (), 1, spo2=95),
    adult("SpO2 96", "routine", (), 0, spo2=96),
    # air or oxygen: oxygen 2
    adult("on oxygen", "routine", (), 2, ticked=("on_oxygen",)),
    # systolic: ≤90 3, 91–100 2, 101–110 1, 111–219 0, ≥220 3
    adult("systolic 90", "urgent", ("news2-single-3",), 3, systolic=90),
    adult("systolic 91", "routine", (), 2, systolic=91),
    adult("systolic 100", "routine", (), 2, systolic=100),
    adult("systolic 101", "routine", (), 1, systolic=101),
    adult("systolic 110", "routine", (), 1, systolic=110),
    adult("systolic 111", "routine", (), 0, systolic=111),
    adult("systolic 219", "routine", (), 0, systolic=219),
    adult("systolic 220", "urgent", ("news2-single-3",), 3, systolic=220),
    # pulse: ≤40 3, 41–50 1, 51–90 0, 91–110 1, 111–130 2, ≥131 3
    adult("pulse 40", "urgent", ("news2-single-3",), 3, pulse=40),
    adult("pulse 41", "routine", (), 1, pulse=41),
    adult("pulse 50", "routine", (), 1, pulse=50),
    adult("pulse 51", "routine", (), 0, pulse=51),
    adult("pulse 90", "routine", (), 0, pulse=90),
    adult("pulse 91", "routine", (), 1, pulse=91),
    adult("pulse 110", "routine", (), 1, pulse=110),
    adult("pulse 111", "routine", (), 2, pulse=111),
    adult("pulse 130", "routine", (), 2, pulse=130),
    adult("pulse 131", "urgent", ("news2-single-3",), 3, pulse=131),
    # consciousness: A 0, C V P U 3 (P and U are also the coma rule)
    adult("new confusion", "urgent", ("news2-single-3",), 3, consciousness="C"),
    adult("responds to voice", "urgent", ("news2-single-3",), 3, consciousness="V"),
    adult("responds to pain", "emergency", ("avpu-p-or-u", "news2-single-3"), 3, consciousness="P"),
    # temperature: ≤35.0 3, 35.1–36.0 1, 36.1–38.0 0, 38.1–39.0 1, ≥39.1 2
    adult("35.0 °C", "urgent", ("news2-single-3",), 3, temperature=35.0),
    adult("35.1 °C", "routine", (), 1, temperature=35.1),
    adult("36.0 °C", "routine", (), 1, temperature=36.0),
    adult("36.1 °C", "routine", (), 0, temperature=36.1),
    adult("38.0 °C", "routine", (), 0, temperature=38.0),
    adult("38.1 °C", "routine", (), 1, temperature=38.1),
    adult("39.0 °C", "routine", (), 1, temperature=39.0),
    adult("39.1 °C", "routine", (), 2, temperature=39.1),
    # Chart 2's thresholds: 5–6 urgent, 7 or more emergency
    adult("NEWS2 4", "routine", (), 4, respiratory_rate=22, spo2=94, pulse=95),
    adult(
        "NEWS2 5",
        "urgent",
        ("news2-medium",),
        5,
        respiratory_rate=22,
        spo2=94,
        pulse=95,
        temperature=38.5,
    ),
    adult(
        "NEWS2 6",
        "urgent",
        ("news2-medium",),
        6,
        respiratory_rate=22,
        spo2=93,
        pulse=95,
        temperature=38.5,
    ),
    adult(
        "NEWS2 7",
        "emergency",
        ("news2-high",),
        7,
        respiratory_rate=22,
        spo2=93,
        pulse=112,
        temperature=38.5,
    ),
    adult(
        "NEWS2 8 with a 3: the total decides",
        "emergency",
        ("news2-high",),
        8,
        respiratory_rate=26,
        spo2=93,
        pulse=112,
        temperature=37.0,
        systolic=105,
    ),
    # --- Incomplete inputs: the measurements that would help ------------------------------------
    Case(
        "adult, nothing measured",
        ADULT,
        "routine",
        news2=0,
        missing=("spo2", "consciousness", "respiratory_rate", "systolic", "pulse", "temperature"),
    ),
    Case(
        "adult, SpO2 missing: a partial score still triggers",
        ADULT,
        "urgent",
        ("news2-medium",),
        measurements={
            **CALM,
            "spo2": None,
            "respiratory_rate": 22,
            "pulse": 112,
            "temperature": 38.5,
        },
        consciousness="A",
        news2=5,
        missing=("spo2",),
    ),
    Case(
        "infant, nothing measured",
        1,
        "routine",
        missing=("respiratory_rate", "temperature", "spo2", "consciousness"),
    ),
]
