"""Pure parsers: preserved raw outputs in, frozen inventory parts out.

Every parser here takes the bytes a phone answered (as kept in a case folder) and returns a
frozen result with the problems it met. Parsers never raise on bad input, never touch a
phone and never read anything but the bytes they are given.
"""
