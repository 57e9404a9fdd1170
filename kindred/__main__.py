from kindred.cli import main

main()
