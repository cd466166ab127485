"""Writes hms/common_passwords.txt: passwords that meet the composition rules yet are guessed first.

Cracking lists (and the attackers using them) start from a few hundred well-known words
and names, capitalised, with a year or a run of digits and a symbol added. Those pass
"upper, lower, digit, symbol, 12+ characters" while being among the first guesses, so
hms refuses them. Run `python scripts/make_common_passwords.py` after editing WORDS.
"""

from __future__ import annotations

from pathlib import Path

WORDS = """password passw0rd welcome letmein qwerty qwertyuiop asdfgh zxcvbn admin administrator
changeme secret default login master hello iloveyou sunshine princess dragon monkey shadow
football baseball soccer hockey superman batman trustno1 whatever freedom starwars
hospital doctor nurse patient medical health clinic database mariadb mysql
spring summer autumn winter january february march april may june july august september
october november december monday friday welcome1 abc abcdef qazwsx 1q2w3e4r access
computer internet service support company office manager""".split()
DIGITS = ["1", "12", "123", "1234", "12345", "123456", "01", "007", "2020", "2021", "2022", "2023",
          "2024", "2025", "2026", "2027", "1!", "99"]
SYMBOLS = ["!", "@", "#", "$", ".", "*", "?", "!!"]
MIN_LENGTH = 12


def candidates():
    for word in WORDS:
        for digits in DIGITS:
            for symbol in SYMBOLS:
                for text in (word + digits + symbol, word + symbol + digits, symbol + word + digits):
                    if len(text) >= MIN_LENGTH:
                        yield text.lower()


def main() -> None:
    lines = sorted(set(candidates()))
    target = Path(__file__).resolve().parent.parent / "hms" / "common_passwords.txt"
    target.write_text("\n".join(lines) + "\n")
    print(f"{len(lines)} passwords written to {target}")


if __name__ == "__main__":
    main()
