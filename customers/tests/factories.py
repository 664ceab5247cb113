import factory

from customers.models import Customer, phone_digits


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Faker("name")
    phone = factory.Sequence(lambda n: f"+1 555 {n:07d}")
    phone_digits = factory.LazyAttribute(lambda c: phone_digits(c.phone))
    email = factory.Sequence(lambda n: f"customer{n}@mail.example")
    address = factory.Faker("address")
