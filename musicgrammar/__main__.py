from musicgrammar.cli import main

main()
