from mosaico_operator.main import main

main()
