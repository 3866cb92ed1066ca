"""ISO 4217: the currencies kefu accepts, each with its minor units (digits after the decimal point).

Money is an integer number of minor units plus one of these codes: 100 fen is 1 CNY, 1 yen is 1 JPY,
1000 fils is 1 KWD. Funds, precious metals and testing codes (XAU, XDR, XTS, XXX, ...) are not money here.
"""

from __future__ import annotations

from kefu.domain.errors import InvalidInput

_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE = "BHD IQD JOD KWD LYD OMR TND"
_FOUR = "CLF UYW"
_TWO = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD "
    "CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS "
    "GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL "
    "MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK "
    "PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS "
    "TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG"
)

MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(_TWO.split(), 2),
    **dict.fromkeys(_ZERO.split(), 0),
    **dict.fromkeys(_THREE.split(), 3),
    **dict.fromkeys(_FOUR.split(), 4),
}


def is_currency(code: str) -> bool:
    return code in MINOR_UNITS


def check_currency(code: str, field: str = "currency") -> str:
    if code not in MINOR_UNITS:
        raise InvalidInput(f"{code!r} is not an ISO 4217 currency code such as CNY", field=field)
    return code


def minor_units(code: str) -> int:
    """Digits after the decimal point of ``code`` (2 for CNY, 0 for JPY, 3 for KWD)."""
    return MINOR_UNITS[check_currency(code)]
