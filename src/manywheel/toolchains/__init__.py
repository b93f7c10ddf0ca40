"""Compiler toolchains for native builds."""
