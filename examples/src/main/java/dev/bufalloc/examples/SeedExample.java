package dev.bufalloc.examples;
public class SeedExample { public static void main(String[] a) { System.out.println("hello " + Runtime.version()); } }
