import sys

if sys.argv[1:2] == ["growth"]:
    from bench.growth import main as growth_main

    growth_main(sys.argv[2:])
else:
    from bench.run import main

    main()
