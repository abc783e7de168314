"""Names for new changeset files: ``brave-lions-dance``, the shape of changesets' human-id.

Only the shape matters (changesets reads any ``.changeset/*.md``); the words are a plain
vocabulary kept here so :mod:`releasekit.project.intent` holds the rules, not word lists.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

__all__ = ["changeset_name"]

_ADJECTIVES = (
    "brave bright calm clever cool curly eager early fair fancy fluffy fresh funny gentle "
    "giant gold good great happy honest huge kind large lazy light little lucky modern neat "
    "nice old plain polite proud quick quiet rare red rich shaggy sharp shiny short silent "
    "silly slimy slow small smart smooth soft sour spicy stale strong sweet swift tall tame "
    "tasty thick thin tidy tiny tough twelve wet wicked wild wise witty young"
).split()
_NOUNS = (
    "ants apes areas baboons badgers bananas bats beans bears beds bees birds boats books "
    "boxes bugs bulldogs buses buttons cameras candles carrots cats chairs cheetahs chefs "
    "cobras cooks cows crabs cups deer dingos dodos dogs dolls donuts doors dragons ducks "
    "eagles eels eggs elephants emus experts falcons fans feet files flies forks foxes frogs "
    "geckos ghosts goats grapes hairs hats hornets horses houses islands jars jeans jobs "
    "keys kings kiwis knives ladybugs lamps laws lemons lies lions lizards llamas mails maps "
    "masks mayflies meals mice moles moons moose mugs news nails needles numbers olives owls "
    "oranges otters pandas pans pants papayas parents parrots paws peaches pears penguins "
    "pens pets phones pianos pigs pillows planes plants plums poems poets points pots "
    "queens rabbits radios rats ravens rice rivers rockets rocks roses ruins rules schools "
    "seahorses seals shirts shoes shrimps singers snails snakes socks spiders spoons squids "
    "stamps stars steaks sloths suns swans tables taxes teams teeth tigers toes tomatoes "
    "tools toys trains trees trams turkeys turtles vans walls waves weeks wolves worms yaks "
    "years zebras zoos"
).split()
_VERBS = (
    "accept act add admire agree allow appear applaud approve argue arrive attack attend "
    "bake battle beam beg behave relate bow brake breathe brush build burn buy call care "
    "change cheat check cheer chew clap clean collect compare compete complain confess "
    "cough count cover crash cross cry dance decide deliver deny develop divide double "
    "doubt draw dream dress drive drop eat end enjoy exercise explain explode fail fetch "
    "film fix flash float fly fold follow fry give glow grab greet grin grow guess hammer "
    "happen heal help hide hope hug hunt impress invent jam jog joke judge juggle jump kick "
    "kiss kneel knock know laugh lay lead learn leave lick lie listen live look love march "
    "marry matter melt mix move nail notice obey occur offer open own pay peel perform "
    "pick play poke pull pump punch push raise read refuse relax remain remember repair "
    "repeat reply report rescue rest retire return rhyme ring roll rule run rush sell "
    "send serve shake share shave shine shop shout sin sing sink sit sleep slide smash "
    "smell smile sneeze sniff sort speak stare study suffer swim switch talk taste teach "
    "tease tell thank think throw tickle trade train travel try turn type unite vanish "
    "visit wait walk warn wash watch wave whisper win wink wonder work worry yawn yell"
).split()


def changeset_name(taken: Iterable[str] = (), rng: random.Random | None = None) -> str:
    """A name such as ``brave-lions-dance`` (changesets' human-id shape), none of ``taken``."""
    rng = rng or random.SystemRandom()
    used = set(taken)
    while True:
        name = f"{rng.choice(_ADJECTIVES)}-{rng.choice(_NOUNS)}-{rng.choice(_VERBS)}"
        if name not in used:
            return name
